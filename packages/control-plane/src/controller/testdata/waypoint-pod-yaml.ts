// Test-only YAML builder shared by the waypoint status and app tests (excluded from the build).

/**
 * A `---`-prefixed Pod document of a waypoint deployment: labelled with the Gateway it serves,
 * in `phase`, on node n1, with a pod IP derived from its name (distinct for distinct names).
 */
export const waypointPodYaml = (phase: string, name = "waypoint-waypoint", gwName = "waypoint", ns = "ns") => `---
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {gateway.networking.k8s.io/gateway-name: ${gwName}}}
spec: {serviceAccountName: waypoint, nodeName: n1}
status: {phase: ${phase}, podIP: 10.1.0.${name.length}}
`;

/** Small YAML builders for the e2e clusters (pods pinned to nodes, Services, policies). */
import { SERVER_APP } from "./pod-traffic.js";

const q = JSON.stringify;

export function namespace(name: string, ambient: boolean): string {
  const labels = ambient ? ", labels: {istio.io/dataplane-mode: ambient}" : "";
  return `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}${labels}}\n`;
}

export interface PodSpec {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  /** Service account (identity); defaults to the pod name. */
  readonly sa?: string;
  /** Runs the e2e server app (HTTP 8080 + echo 9000); otherwise the pod just sleeps. */
  readonly server?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
}

export function pod(p: PodSpec): string {
  const labels = { app: p.name, ...p.labels };
  const command = p.server ? [process.execPath, "-e", SERVER_APP] : ["sleep", "3600"];
  const ports = p.server
    ? `\n    ports: [{name: http, containerPort: 8080}, {name: echo, containerPort: 9000}]`
    : "";
  return `apiVersion: v1
kind: Pod
metadata: {name: ${p.name}, namespace: ${p.namespace}, labels: ${q(labels)}}
spec:
  nodeName: ${p.node}
  serviceAccountName: ${p.sa ?? p.name}
  containers:
  - name: main
    command: ${q(command)}${ports}
`;
}

/** A Service selecting `app: <target>` with http 80→8080 and echo 9000→9000. */
export function service(name: string, namespace: string, target: string): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${target}}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: echo, port: 9000, targetPort: 9000}]
`;
}

/** A PeerAuthentication for a whole namespace. */
export function peerAuthentication(namespace: string, mode: "STRICT" | "PERMISSIVE"): string {
  return `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: mtls-mode, namespace: ${namespace}}
spec: {mtls: {mode: ${mode}}}
`;
}

/** An L4 AuthorizationPolicy on `app: <target>` with one rule built from `from`/`to` (YAML flow text). */
export function authorizationPolicy(p: {
  readonly name: string;
  readonly namespace: string;
  readonly target: string;
  readonly action: "ALLOW" | "DENY";
  readonly from?: Readonly<Record<string, readonly string[]>>;
  readonly to?: Readonly<Record<string, readonly string[]>>;
}): string {
  const rule: Record<string, unknown> = {};
  if (p.from) rule["from"] = [{ source: p.from }];
  if (p.to) rule["to"] = [{ operation: p.to }];
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ${p.name}, namespace: ${p.namespace}}
spec:
  selector: {matchLabels: {app: ${p.target}}}
  action: ${p.action}
  rules: [${q(rule)}]
`;
}

/** Joins documents into one multi-document YAML text. */
export function docs(...d: readonly string[]): string {
  return d.join("---\n");
}

import type { ClusterStatus } from "@ambit/local";

/** Left-aligned text table with a header row (no dependency: the CLI ships small). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** `ambit status` as text: cluster, components, nodes, pods, waypoints, services. */
export function formatStatus(s: ClusterStatus): string {
  const parts: string[] = [];
  parts.push(
    `cluster ${s.cluster.id}  (netns prefix ${s.cluster.prefix}, state ${s.cluster.stateDir}, daemon pid ${s.cluster.daemonPid})`,
    `control plane address ${s.controlPlane.address} in netns ${s.controlPlane.netns}`,
    "",
    formatTable(
      ["COMPONENT", "NODE", "STATE", "HEALTH", "PID", "RESTARTS", "DETAIL"],
      s.components.map((c) => [
        c.name,
        c.node ?? "-",
        c.state,
        c.health,
        c.pid !== undefined ? String(c.pid) : "-",
        String(c.restarts),
        c.detail,
      ]),
    ),
    "",
    formatTable(
      ["NODE", "IP", "POD CIDR", "PODS", "NETNS"],
      s.nodes.map((n) => [n.name, n.ip, n.podCidr, String(n.pods), n.netns]),
    ),
    "",
  );
  if (s.pods.length === 0) parts.push("no pods (apply manifests with: ambit apply -f <file>)");
  else {
    parts.push(
      formatTable(
        ["NAMESPACE", "POD", "PHASE", "IP", "NODE", "MESH", "ENROLLED", "RESTARTS"],
        s.pods.map((p) => [
          p.namespace,
          p.name,
          p.phase,
          p.ip,
          p.node,
          p.mesh,
          p.enrolled,
          String(p.restarts),
        ]),
      ),
    );
  }
  if ((s.waypoints ?? []).length > 0) {
    parts.push(
      "",
      formatTable(
        ["NAMESPACE", "WAYPOINT", "NODE", "POD IP", "VIP", "PROCESS", "HEALTH", "RESTARTS", "DETAIL"],
        s.waypoints.map((w) => [
          w.namespace,
          w.name,
          w.node,
          w.ip,
          w.vip || "-",
          w.state,
          w.health,
          String(w.restarts),
          w.detail,
        ]),
      ),
    );
  }
  if (s.services.length > 0) {
    parts.push(
      "",
      formatTable(
        ["NAMESPACE", "SERVICE", "VIP", "PORTS", "ENDPOINTS"],
        s.services.map((v) => [v.namespace, v.name, v.vip, v.ports, String(v.endpoints)]),
      ),
    );
  }
  return parts.join("\n") + "\n";
}

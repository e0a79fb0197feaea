import { Ports } from "@ambit/api";
import { clusterLayout, httpGetInNetns, LocalError, type StatePaths } from "@ambit/local";
import { stringify } from "yaml";
import { type Io, readClusterInfo } from "./context.js";
import { formatTable } from "./format.js";

/** istioctl's `ztunnel-config` views, read from each ztunnel's `/config_dump`. */
export const ZC_VIEWS = ["workloads", "services", "policies", "certificates", "connections"] as const;
export type ZcView = (typeof ZC_VIEWS)[number];

type J = Record<string, unknown>;
const s = (v: unknown): string =>
  v === undefined || v === null ? "-" : typeof v === "string" ? v || "-" : JSON.stringify(v);
const list = (v: unknown): J[] => (Array.isArray(v) ? (v as J[]) : []);

/** The sections a view reads from one dump (json/yaml output prints exactly these). */
export function zcSection(view: ZcView, dump: J): unknown {
  if (view === "connections")
    return { open: dump["connections"] ?? [], recent: dump["recentConnections"] ?? [] };
  return dump[view] ?? [];
}

/**
 * Renders one view as a table. Pure (golden-tested against a real dump). Cluster-wide views
 * (workloads, services, policies) come from one ztunnel; per-node views get a NODE column.
 */
export function zcTable(view: ZcView, dumps: ReadonlyMap<string, J>): string {
  const first = [...dumps.values()][0] ?? {};
  switch (view) {
    case "workloads":
      return formatTable(
        ["NAMESPACE", "POD NAME", "ADDRESS", "NODE", "PROTOCOL", "IDENTITY", "STATUS"],
        list(first["workloads"]).map((w) => [
          s(w["namespace"]),
          s(w["name"]),
          list(w["addresses"]).map(String).join(",") || "-",
          s(w["node"]),
          s(w["tunnelProtocol"]).toUpperCase(),
          s(w["identity"]),
          s(w["status"]),
        ]),
      );
    case "services": {
      const endpoints = new Map<string, number>();
      for (const w of list(first["workloads"])) {
        for (const key of Object.keys((w["services"] as J | undefined) ?? {}))
          endpoints.set(key, (endpoints.get(key) ?? 0) + 1);
      }
      return formatTable(
        ["NAMESPACE", "SERVICE NAME", "SERVICE VIP", "PORTS", "ENDPOINTS"],
        list(first["services"]).map((v) => [
          s(v["namespace"]),
          s(v["name"]),
          list(v["addresses"])
            .map((a) => s(a["ip"]))
            .join(",") || "-",
          list(v["ports"])
            .map((p) => s(p["servicePort"]))
            .join(","),
          String(endpoints.get(`${s(v["namespace"])}/${s(v["hostname"])}`) ?? 0),
        ]),
      );
    }
    case "policies":
      return formatTable(
        ["NAMESPACE", "POLICY NAME", "ACTION", "SCOPE", "RULES"],
        list(first["policies"]).map((p) => [
          s(p["namespace"]),
          s(p["name"]),
          s(p["action"]).toUpperCase(),
          s(p["scope"]),
          String(list(p["rules"]).length),
        ]),
      );
    case "certificates":
      return formatTable(
        ["NODE", "IDENTITY", "STATE", "SERIAL", "NOT BEFORE", "NOT AFTER"],
        [...dumps].flatMap(([node, d]) =>
          list(d["certificates"]).map((c) => [
            node,
            s(c["identity"]),
            s(c["state"]),
            s(c["serial"]),
            s(c["notBefore"]),
            s(c["notAfter"]),
          ]),
        ),
      );
    case "connections":
      return formatTable(
        [
          "NODE",
          "STATE",
          "DIRECTION",
          "SOURCE",
          "DESTINATION",
          "SRC IDENTITY",
          "DST IDENTITY",
          "FLAGS",
          "BYTES S/R",
        ],
        [...dumps].flatMap(([node, d]) =>
          [
            ...list(d["connections"]).map((c): J => ({ ...c, _state: "open" })),
            ...list(d["recentConnections"]).map((c): J => ({ ...c, _state: "closed" })),
          ].map((c) => [
            node,
            s(c["_state"]),
            s(c["direction"]),
            `${s(c["src_workload"])} ${s(c["src_addr"])}`,
            `${s(c["dst_workload"] ?? c["dst_service"])} ${s(c["dst_addr"])}`,
            s(c["src_identity"]),
            s(c["dst_identity"]),
            s(c["response_flags"]),
            `${s(c["bytes_sent"])}/${s(c["bytes_received"])}`,
          ]),
        ),
      );
  }
}

/** `ambit zc <view> [--node n] [-o table|json|yaml]`: reads the config dump inside each node netns. */
export async function cmdZc(
  paths: StatePaths,
  io: Io,
  view: string,
  opts: { node?: string; output: string },
): Promise<void> {
  if (!(ZC_VIEWS as readonly string[]).includes(view)) {
    throw new LocalError("invalid_argument", `unknown view ${view}; one of: ${ZC_VIEWS.join(", ")}`);
  }
  if (!["table", "json", "yaml"].includes(opts.output)) {
    throw new LocalError("invalid_argument", `-o must be table, json or yaml, not ${opts.output}`);
  }
  const info = readClusterInfo(paths);
  if (info === undefined)
    throw new LocalError("no_cluster", `no ambit cluster in ${paths.root}: run 'ambit up' first`);
  const nodes = clusterLayout(info.id, info.nodes).nodes.filter(
    (n) => opts.node === undefined || n.name === opts.node,
  );
  if (nodes.length === 0) throw new LocalError("unknown_node", `no node ${opts.node} in cluster ${info.id}`);
  const dumps = new Map<string, J>();
  const failures: string[] = [];
  await Promise.all(
    nodes.map(async (n) => {
      const r = await httpGetInNetns(n.netns, `http://127.0.0.1:${Ports.admin}/config_dump`);
      if ("error" in r || r.status !== 200) {
        failures.push(
          `${n.name}: ztunnel admin not reachable (${"error" in r ? r.error : `HTTP ${r.status}`})`,
        );
        return;
      }
      dumps.set(n.name, JSON.parse(r.body) as J);
    }),
  );
  for (const f of failures) io.err(`${f}\n`);
  if (dumps.size === 0) throw new LocalError("command_failed", "no ztunnel answered");
  const ordered = new Map([...dumps].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })));
  const v = view as ZcView;
  if (opts.output === "table") {
    io.out(zcTable(v, ordered) + "\n");
    return;
  }
  const data = Object.fromEntries([...ordered].map(([node, d]) => [node, zcSection(v, d)]));
  io.out(opts.output === "json" ? JSON.stringify(data, null, 2) + "\n" : stringify(data));
}

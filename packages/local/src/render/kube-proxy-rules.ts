import type { Endpoint, ServiceRecord } from "../plan/service-plan.js";

/** nft table (family ip) holding the kube-proxy-like service rules in each node netns. */
export const SERVICE_TABLE = "ambit_services";
/**
 * Mark for hairpin connections (a pod reaching itself through a VIP): they are masqueraded so the
 * reply comes back through the node. Outside the 0xfff mask the in-pod rules use (0x539, 0x111).
 */
export const MASQUERADE_MARK = 0x4000;

/** A service together with its endpoints per port (same order as `service.ports`). */
export interface ServiceWithEndpoints {
  readonly service: ServiceRecord;
  readonly endpoints: readonly (readonly Endpoint[])[];
}

function quote(s: string): string {
  return `"${s.replace(/[^A-Za-z0-9_./:-]/g, "_")}"`;
}

/**
 * Renders the node's service NAT as one nft script that deletes and recreates the table in a
 * single transaction (`nft -f` is atomic), so a VIP never points nowhere mid-update.
 *
 * - `prerouting`/`output` (nat, dstnat): `VIP:port` → a random endpoint (`numgen random`), for
 *   traffic from pods that are not in the mesh (enrolled pods' traffic is captured in-pod first).
 * - `filter_*` (filter, after DNAT): VIPs whose port has no endpoints are rejected (TCP reset,
 *   so clients see "connection refused" as with kube-proxy) instead of timing out.
 * - `postrouting` (nat, srcnat): hairpin connections get masqueraded.
 *
 * Pure and golden-tested; `applied by cluster/node-network.ts`.
 */
export function renderServiceRules(services: readonly ServiceWithEndpoints[]): string {
  const dispatch: string[] = [];
  const chains: string[] = [];
  const reject: string[] = [];
  let n = 0;
  for (const { service: s, endpoints } of services) {
    if (s.vip === "") continue;
    s.ports.forEach((port, i) => {
      const eps = endpoints[i] ?? [];
      const proto = port.protocol === "UDP" ? "udp" : "tcp";
      const match = `ip daddr ${s.vip} ${proto} dport ${port.port}`;
      const label = quote(`${s.namespace}/${s.name}:${port.port}`);
      if (eps.length === 0) {
        const how = proto === "tcp" ? "reject with tcp reset" : "reject";
        reject.push(`    ${match} ${how} comment ${label}`);
        return;
      }
      const chain = `svc${n++}`;
      dispatch.push(`    ${match} jump ${chain} comment ${label}`);
      const epChains = eps.map((e, j) => {
        chains.push(
          `  chain ${chain}_ep${j} {\n` +
            `    ip saddr ${e.ip} meta mark set meta mark | ${hex(MASQUERADE_MARK)}\n` +
            `    meta l4proto ${proto} dnat to ${e.ip}:${e.port}\n  }`,
        );
        return `${chain}_ep${j}`;
      });
      if (epChains.length === 1) chains.push(`  chain ${chain} {\n    jump ${epChains[0]}\n  }`);
      else {
        const vmap = epChains.map((c, j) => `${j} : jump ${c}`).join(", ");
        chains.push(`  chain ${chain} {\n    numgen random mod ${epChains.length} vmap { ${vmap} }\n  }`);
      }
    });
  }
  const lines = [
    `table ip ${SERVICE_TABLE} {}`,
    `delete table ip ${SERVICE_TABLE}`,
    `table ip ${SERVICE_TABLE} {`,
    "  chain services {",
    ...dispatch,
    "  }",
    "  chain prerouting {\n    type nat hook prerouting priority -100; policy accept;\n    jump services\n  }",
    "  chain output {\n    type nat hook output priority -100; policy accept;\n    jump services\n  }",
    `  chain postrouting {\n    type nat hook postrouting priority 100; policy accept;\n    meta mark & ${hex(MASQUERADE_MARK)} == ${hex(MASQUERADE_MARK)} masquerade\n  }`,
    "  chain no_endpoints {",
    ...reject,
    "  }",
    "  chain filter_prerouting {\n    type filter hook prerouting priority -90; policy accept;\n    jump no_endpoints\n  }",
    "  chain filter_output {\n    type filter hook output priority 0; policy accept;\n    jump no_endpoints\n  }",
    ...chains,
    "}",
    "",
  ];
  return lines.join("\n");
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}

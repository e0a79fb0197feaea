import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Service, Workload } from "@ambit/api";
import { formatIdentity, formatSocketAddress, origDstAddr } from "@ambit/api";
import { buildOutboundRequest, type OutboundRequest } from "./outbound-request.js";
import { member, stateOf, svc, waypointAt, wl } from "./testdata/mesh.js";

const SLEEP = wl("sleep", "10.0.0.10");
const WEB = svc("web.default.svc.cluster.local", "10.96.0.1", {
  subjectAltNames: ["spiffe://cluster.local/ns/default/sa/web-alias", "not-a-spiffe-id"],
});
const web1 = wl("web-1", "10.0.1.1", { services: new Map([member(WEB)]) });
const web2 = wl("web-2", "10.0.1.2", { services: new Map([member(WEB)]) });

/** Compact view of a plan for table comparison. */
function view(r: OutboundRequest): Record<string, unknown> {
  switch (r.protocol) {
    case "refused":
      return { protocol: r.protocol, code: r.code };
    case "tcp":
      return { protocol: r.protocol, nextHop: formatSocketAddress(r.nextHop) };
    case "hbone":
      return {
        protocol: r.protocol,
        nextHop: formatSocketAddress(r.nextHop),
        authority: r.hboneTarget,
        sans: r.upstreamSans.map(formatIdentity),
        waypoint: r.viaWaypoint,
      };
  }
}

interface Case {
  readonly name: string;
  readonly workloads: readonly Workload[];
  readonly services?: readonly Service[];
  readonly source?: Workload;
  readonly dst: string;
  readonly pick?: number;
  readonly want: Record<string, unknown>;
}

const WP_SVC = svc("waypoint.default.svc.cluster.local", "10.96.0.100", {
  subjectAltNames: ["spiffe://cluster.local/ns/default/sa/waypoint-svc"],
  ports: [{ servicePort: 15008, targetPort: 15008, appProtocol: "unknown" }],
});
const wpPod = wl("waypoint", "10.0.9.9", { services: new Map([member(WP_SVC)]) });
const byHostname = {
  kind: "hostname",
  namespace: "default",
  hostname: WP_SVC.hostname,
  hboneMtlsPort: 15008,
} as const;

const cases: Case[] = [
  {
    name: "service VIP → healthy endpoint, service port → target port, SANs = service SANs + workload",
    workloads: [SLEEP, web1],
    services: [WEB],
    dst: "10.96.0.1:80",
    want: {
      protocol: "hbone",
      nextHop: "10.0.1.1:15008",
      authority: "10.0.1.1:8080",
      sans: ["spiffe://cluster.local/ns/default/sa/web-alias", "spiffe://cluster.local/ns/default/sa/web-1"],
      waypoint: false,
    },
  },
  {
    name: "service VIP → the picked endpoint among several",
    workloads: [SLEEP, web1, web2],
    services: [WEB],
    dst: "10.96.0.1:80",
    pick: 1,
    want: {
      protocol: "hbone",
      nextHop: "10.0.1.2:15008",
      authority: "10.0.1.2:8080",
      sans: ["spiffe://cluster.local/ns/default/sa/web-alias", "spiffe://cluster.local/ns/default/sa/web-2"],
      waypoint: false,
    },
  },
  {
    name: "per-endpoint target port wins over the service's",
    workloads: [
      SLEEP,
      wl("web-x", "10.0.1.3", {
        services: new Map([member(WEB, [{ servicePort: 80, targetPort: 9090, appProtocol: "tcp" }])]),
      }),
    ],
    services: [WEB],
    dst: "10.96.0.1:80",
    want: {
      protocol: "hbone",
      nextHop: "10.0.1.3:15008",
      authority: "10.0.1.3:9090",
      sans: ["spiffe://cluster.local/ns/default/sa/web-alias", "spiffe://cluster.local/ns/default/sa/web-x"],
      waypoint: false,
    },
  },
  {
    name: "service whose only endpoint is unhealthy → refused",
    workloads: [SLEEP, wl("web-1", "10.0.1.1", { services: new Map([member(WEB)]), status: "unhealthy" })],
    services: [WEB],
    dst: "10.96.0.1:80",
    want: { protocol: "refused", code: "no_healthy_upstream" },
  },
  {
    name: "service without endpoints → refused with reason",
    workloads: [SLEEP],
    services: [WEB],
    dst: "10.96.0.1:80",
    want: { protocol: "refused", code: "no_healthy_upstream" },
  },
  {
    name: "service without endpoints in PASSTHROUGH mode → TCP to the original destination",
    workloads: [SLEEP],
    services: [{ ...WEB, loadBalancing: { mode: "passthrough", healthPolicy: "only_healthy" } }],
    dst: "10.96.0.1:80",
    want: { protocol: "tcp", nextHop: "10.96.0.1:80" },
  },
  {
    name: "service port not exposed → refused",
    workloads: [SLEEP, web1],
    services: [WEB],
    dst: "10.96.0.1:81",
    want: { protocol: "refused", code: "no_service_port" },
  },
  {
    name: "service endpoint outside the mesh → plain TCP to endpoint:targetPort",
    workloads: [
      SLEEP,
      wl("legacy", "10.0.2.1", { services: new Map([member(WEB)]), tunnelProtocol: "none" }),
    ],
    services: [WEB],
    dst: "10.96.0.1:80",
    want: { protocol: "tcp", nextHop: "10.0.2.1:8080" },
  },
  {
    name: "pod IP → that workload over HBONE, authority podIP:port",
    workloads: [SLEEP, web1],
    dst: "10.0.1.1:8080",
    want: {
      protocol: "hbone",
      nextHop: "10.0.1.1:15008",
      authority: "10.0.1.1:8080",
      sans: ["spiffe://cluster.local/ns/default/sa/web-1"],
      waypoint: false,
    },
  },
  {
    name: "IPv6 pod IP → [v6]:port authority",
    workloads: [SLEEP, wl("v6", "fd00::5")],
    dst: "[fd00::5]:8080",
    want: {
      protocol: "hbone",
      nextHop: "[fd00::5]:15008",
      authority: "[fd00::5]:8080",
      sans: ["spiffe://cluster.local/ns/default/sa/v6"],
      waypoint: false,
    },
  },
  {
    name: "non-mesh pod IP → plain TCP",
    workloads: [SLEEP, wl("legacy", "10.0.2.1", { tunnelProtocol: "none" })],
    dst: "10.0.2.1:5432",
    want: { protocol: "tcp", nextHop: "10.0.2.1:5432" },
  },
  {
    name: "unknown destination → passthrough keeping the original destination",
    workloads: [SLEEP],
    dst: "192.0.2.7:443",
    want: { protocol: "tcp", nextHop: "192.0.2.7:443" },
  },
  ...[15001, 15006, 15008].map(
    (port): Case => ({
      name: `self-call to loopback:${port} → refused`,
      workloads: [SLEEP],
      dst: `127.0.0.1:${port}`,
      want: { protocol: "refused", code: "self_call" },
    }),
  ),
  {
    name: "self-call to the pod's own IP:15008 → refused",
    workloads: [SLEEP],
    dst: "10.0.0.10:15008",
    want: { protocol: "refused", code: "self_call" },
  },
  {
    name: "service with a waypoint (pod address) → HBONE to waypoint, authority = original VIP:port",
    workloads: [SLEEP, web1, wpPod],
    services: [{ ...WEB, waypoint: waypointAt("10.0.9.9") }, WP_SVC],
    dst: "10.96.0.1:80",
    want: {
      protocol: "hbone",
      nextHop: "10.0.9.9:15008",
      authority: "10.96.0.1:80",
      sans: ["spiffe://cluster.local/ns/default/sa/waypoint"],
      waypoint: true,
    },
  },
  {
    name: "service with a waypoint by hostname → waypoint pod, SANs = waypoint svc SANs + waypoint id",
    workloads: [SLEEP, web1, wpPod],
    services: [{ ...WEB, waypoint: byHostname }, WP_SVC],
    dst: "10.96.0.1:80",
    want: {
      protocol: "hbone",
      nextHop: "10.0.9.9:15008",
      authority: "10.96.0.1:80",
      sans: [
        "spiffe://cluster.local/ns/default/sa/waypoint-svc",
        "spiffe://cluster.local/ns/default/sa/waypoint",
      ],
      waypoint: true,
    },
  },
  {
    name: "service waypoint given as waypoint VIP → resolved to its endpoint",
    workloads: [SLEEP, web1, wpPod],
    services: [{ ...WEB, waypoint: waypointAt("10.96.0.100") }, WP_SVC],
    dst: "10.96.0.1:80",
    want: {
      protocol: "hbone",
      nextHop: "10.0.9.9:15008",
      authority: "10.96.0.1:80",
      sans: [
        "spiffe://cluster.local/ns/default/sa/waypoint-svc",
        "spiffe://cluster.local/ns/default/sa/waypoint",
      ],
      waypoint: true,
    },
  },
  {
    name: "workload with a waypoint → HBONE to waypoint, authority podIP:port",
    workloads: [SLEEP, wl("web-1", "10.0.1.1", { waypoint: waypointAt("10.0.9.9") }), wpPod],
    services: [WP_SVC],
    dst: "10.0.1.1:8080",
    want: {
      protocol: "hbone",
      nextHop: "10.0.9.9:15008",
      authority: "10.0.1.1:8080",
      sans: ["spiffe://cluster.local/ns/default/sa/waypoint"],
      waypoint: true,
    },
  },
  {
    name: "source IS the service's waypoint → straight to the endpoint",
    workloads: [web1, wpPod],
    services: [{ ...WEB, waypoint: byHostname }, WP_SVC],
    source: wpPod,
    dst: "10.96.0.1:80",
    want: {
      protocol: "hbone",
      nextHop: "10.0.1.1:15008",
      authority: "10.0.1.1:8080",
      sans: ["spiffe://cluster.local/ns/default/sa/web-alias", "spiffe://cluster.local/ns/default/sa/web-1"],
      waypoint: false,
    },
  },
  {
    name: "source IS the workload's waypoint → straight to the workload",
    workloads: [wl("web-1", "10.0.1.1", { waypoint: waypointAt("10.0.9.9") }), wpPod],
    source: wpPod,
    dst: "10.0.1.1:8080",
    want: {
      protocol: "hbone",
      nextHop: "10.0.1.1:15008",
      authority: "10.0.1.1:8080",
      sans: ["spiffe://cluster.local/ns/default/sa/web-1"],
      waypoint: false,
    },
  },
  {
    name: "waypoint configured but missing → refused",
    workloads: [SLEEP, web1],
    services: [{ ...WEB, waypoint: byHostname }],
    dst: "10.96.0.1:80",
    want: { protocol: "refused", code: "unknown_waypoint" },
  },
  {
    name: "service endpoints only on another network → refused (no E/W gateway support)",
    workloads: [SLEEP, wl("far", "10.9.0.1", { network: "net-2", services: new Map([member(WEB)]) })],
    services: [WEB],
    dst: "10.96.0.1:80",
    want: { protocol: "refused", code: "cross_network_unsupported" },
  },
];

function parseDst(s: string) {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  assert.ok(m);
  return origDstAddr(m[1] as string, Number(m[2]));
}

describe("buildOutboundRequest (ztunnel build_request cases)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const state = stateOf(c.workloads, c.services ?? []);
      const plan = buildOutboundRequest(state, c.source ?? SLEEP, parseDst(c.dst), {
        pick: (n) => Math.min(c.pick ?? 0, n - 1),
      });
      assert.deepEqual(view(plan), c.want);
      assert.ok(plan.reason.length > 0, "every plan explains itself");
    });
  }

  it("hbone plans carry the service (for forwarded host) and the destination workload", () => {
    const plan = buildOutboundRequest(stateOf([SLEEP, web1], [WEB]), SLEEP, parseDst("10.96.0.1:80"));
    assert.equal(plan.protocol, "hbone");
    if (plan.protocol !== "hbone") return;
    assert.equal(plan.service?.hostname, WEB.hostname);
    assert.equal(plan.destinationWorkload?.name, "web-1");
  });
});

describe("findPodWorkload", () => {
  it("maps a ZDS pod to its WDS workload by namespace/name", async () => {
    const { findPodWorkload } = await import("./proxy-set.js");
    const state = stateOf([SLEEP, web1]);
    assert.equal(findPodWorkload(state, { namespace: "default", name: "web-1" })?.uid, web1.uid);
    assert.equal(findPodWorkload(state, { namespace: "other", name: "web-1" }), undefined);
  });
});

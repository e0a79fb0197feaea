import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { LocalError } from "../local-error.js";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { clusterLayout, podHostVeth, podNetnsName } from "./cluster-layout.js";
import { desiredPods, type PodRecord, planPods } from "./pod-plan.js";
import { planServices } from "./service-plan.js";
import { desiredWaypoints, expandWaypoints, waypointPodName } from "./waypoint-plan.js";

const layout = clusterLayout("t1", 3);

function gateway(name: string, ns = "shop", cls = "istio-waypoint", labels = ""): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: ${ns}${labels !== "" ? `, labels: {${labels}}` : ""}}
spec:
  gatewayClassName: ${cls}
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`;
}

function pod(name: string, node?: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop}
spec: {${node !== undefined ? `nodeName: ${node}, ` : ""}containers: [{name: c, command: [x]}]}
`;
}

function parse(...docs: string[]) {
  return parseManifestText(docs.join("---\n"), "/m/x.yaml");
}

function uids(): () => string {
  let n = 0;
  return () => `uid-${++n}`;
}

/** Plans objects from scratch the way the runtime does (workload pods first, then waypoints). */
function plan(objects: ReturnType<typeof parse>, current: PodRecord[] = []) {
  const wp = expandWaypoints(objects);
  const services = planServices(wp.objects, [], layout);
  const p = planPods([...desiredPods(objects), ...wp.pods], current, layout, uids());
  const pods: PodRecord[] = [
    ...p.keep,
    ...p.create.map((c) => ({
      ...c,
      netns: podNetnsName(layout, c.namespace, c.name),
      hostVeth: podHostVeth(c.uid),
    })),
  ];
  return { wp, services, plan: p, pods };
}

describe("waypoint plan", () => {
  it("only Gateways of class istio-waypoint are waypoints; waypoint-for defaults to service", () => {
    const w = desiredWaypoints(
      parse(
        gateway("wp-b", "shop", "istio-waypoint", "istio.io/waypoint-for: all"),
        gateway("ingress", "shop", "istio"),
        gateway("wp-a", "bank"),
      ),
    );
    assert.deepEqual(
      w.map((x) => [x.key, x.podName, x.serviceName, x.waypointFor, x.owner]),
      [
        ["bank/wp-a", "wp-a-waypoint", "wp-a", "service", "Gateway/bank/wp-a"],
        ["shop/wp-b", "wp-b-waypoint", "wp-b", "all", "Gateway/shop/wp-b"],
      ],
    );
  });

  it("brings a Service (mesh 15008, status-port 15021) and a pod with the Gateway's service account (golden)", () => {
    const { wp, services, pods } = plan(parse(gateway("waypoint"), pod("a"), pod("b")));
    const svc = services.find((s) => s.key === "shop/waypoint");
    const wpod = pods.find((p) => p.waypoint !== undefined);
    assert.ok(svc && wpod);
    const text = stringify(
      {
        serviceObject: wp.objects.find((o) => o.key === "Service/shop/waypoint")?.raw,
        serviceRecord: svc,
        pod: wpod,
      },
      { aliasDuplicateObjects: false },
    );
    const url = new URL("./testdata/waypoint-plan.golden.yaml", import.meta.url);
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(url, text);
    assert.equal(text, readFileSync(url, "utf8"), "golden waypoint plan (UPDATE_GOLDEN=1 regenerates)");
    assert.equal(svc.vip, "10.96.0.11");
    assert.deepEqual(
      svc.ports.map((p) => [p.name, p.port]),
      [
        ["mesh", 15008],
        ["status-port", 15021],
      ],
    );
    assert.equal(wpod.serviceAccount, "waypoint");
    assert.equal(wpod.labels["gateway.networking.k8s.io/gateway-name"], "waypoint");
    assert.equal(wpod.labels["istio.io/dataplane-mode"], "none");
  });

  const placements: { what: string; docs: string[]; node: string }[] = [
    { what: "empty cluster: node-1 (ties → lowest index)", docs: [], node: "node-1" },
    { what: "after two pods on node-1 and node-2: node-3", docs: [pod("a"), pod("b")], node: "node-3" },
    {
      what: "node-1 and node-3 busy: node-2",
      docs: [pod("a", "node-1"), pod("b", "node-3"), pod("c", "node-3")],
      node: "node-2",
    },
    {
      what: "every node has one pod: node-1 again",
      docs: [pod("a"), pod("b"), pod("c")],
      node: "node-1",
    },
  ];
  for (const c of placements) {
    it(`placement: the node with the fewest pods — ${c.what}`, () => {
      const { pods } = plan(parse(gateway("waypoint"), ...c.docs));
      assert.equal(pods.find((p) => p.waypoint === "waypoint")?.node, c.node);
    });
  }

  it("a re-plan keeps the waypoint pod (relabelling the Gateway does not recreate it)", () => {
    const first = plan(parse(gateway("waypoint"))).pods;
    const again = plan(
      parse(gateway("waypoint", "shop", "istio-waypoint", "istio.io/waypoint-for: all")),
      first,
    );
    assert.equal(again.plan.create.length, 0);
    assert.equal(again.plan.remove.length, 0);
    const gone = plan(parse(pod("a")), first);
    assert.deepEqual(
      gone.plan.remove.map((p) => p.key),
      ["shop/waypoint-waypoint"],
    );
    assert.equal(
      gone.services.some((s) => s.key === "shop/waypoint"),
      false,
    );
  });

  it("refuses a user Service or Pod that takes the waypoint's names", () => {
    const svc = `apiVersion: v1
kind: Service
metadata: {name: waypoint, namespace: shop}
spec: {ports: [{port: 80}]}
`;
    assert.throws(
      () => expandWaypoints(parse(gateway("waypoint"), svc)),
      (e: unknown) =>
        e instanceof LocalError && e.code === "invalid_manifest" && /Service shop\/waypoint/.test(e.message),
    );
    assert.throws(
      () => expandWaypoints(parse(gateway("waypoint"), pod("waypoint-waypoint"))),
      /Pod\/shop\/waypoint-waypoint already uses the name/,
    );
  });

  it("refuses a Gateway name too long for its pod name", () => {
    const long = "w".repeat(55);
    assert.equal(waypointPodName(long).length, 64);
    assert.throws(() => desiredWaypoints(parse(gateway(long))), /at most 54 characters/);
  });
});

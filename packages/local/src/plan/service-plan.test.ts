import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LocalError } from "../local-error.js";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { clusterLayout } from "./cluster-layout.js";
import type { PodRecord } from "./pod-plan.js";
import { planServices, serviceEndpoints } from "./service-plan.js";

const layout = clusterLayout("t1", 2);

function svc(name: string, extra = "", ns = "default"): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${ns}}
spec:
  selector: {app: ${name}}
  ports: [{name: http, port: 80, targetPort: http}, {name: raw, port: 9000, targetPort: 9000, protocol: UDP}]
${extra}`;
}

function pod(name: string, app: string, ip: string, ns = "default"): PodRecord {
  return {
    key: `${ns}/${name}`,
    name,
    namespace: ns,
    labels: { app },
    annotations: {},
    serviceAccount: "default",
    containers: [
      {
        name: "c",
        command: ["x"],
        args: [],
        env: [],
        ports: [{ containerPort: 8080, name: "http", protocol: "TCP" }],
      },
    ],
    specHash: "h",
    sourceDir: "/",
    owner: "Pod/x/y",
    uid: `uid-${name}`,
    node: "node-1",
    ip,
    netns: `ns-${name}`,
    hostVeth: "v1",
  };
}

describe("planServices", () => {
  it("allocates VIPs from .0.11, keeps them stable, honours clusterIP and headless", () => {
    const objs = parseManifestText([svc("a"), svc("b")].join("---\n"), "s.yaml");
    const first = planServices(objs, [], layout);
    assert.deepEqual(
      first.map((s) => [s.key, s.vip]),
      [
        ["default/a", "10.96.0.11"],
        ["default/b", "10.96.0.12"],
      ],
    );
    // b keeps its VIP even when a disappears and c arrives first in the file.
    const next = planServices(parseManifestText([svc("c"), svc("b")].join("---\n"), "s.yaml"), first, layout);
    assert.deepEqual(
      next.map((s) => [s.key, s.vip]),
      [
        ["default/b", "10.96.0.12"],
        ["default/c", "10.96.0.11"],
      ],
    );
    const pinned = planServices(
      parseManifestText(svc("d", "  clusterIP: 10.96.5.5\n"), "s.yaml"),
      [],
      layout,
    );
    assert.equal(pinned[0]?.vip, "10.96.5.5");
    const headless = planServices(parseManifestText(svc("e", "  clusterIP: None\n"), "s.yaml"), [], layout);
    assert.equal(headless[0]?.vip, "");
  });

  it("rejects a clusterIP outside the service CIDR or already taken", () => {
    const bad = (extra: string, more = ""): unknown =>
      planServices(parseManifestText(more + svc("x", extra), "s.yaml"), [], layout);
    assert.throws(
      () => bad("  clusterIP: 10.0.0.1\n"),
      (e: unknown) => e instanceof LocalError && /outside/.test(e.message),
    );
    assert.throws(
      () => bad("  clusterIP: 10.96.0.20\n", svc("y", "  clusterIP: 10.96.0.20\n") + "---\n"),
      /already in use/,
    );
    assert.throws(() => bad("  clusterIP: 10.96.0.10\n"), /already in use/, "the DNS address is reserved");
  });
});

describe("serviceEndpoints", () => {
  it("selects pods by labels within the namespace and resolves named target ports", () => {
    const [s] = planServices(parseManifestText(svc("web"), "s.yaml"), [], layout);
    assert.ok(s);
    const eps = serviceEndpoints(s, [
      pod("w2", "web", "10.244.2.2"),
      pod("w1", "web", "10.244.1.2"),
      pod("other", "db", "10.244.1.3"),
      pod("w3", "web", "10.244.1.4", "elsewhere"),
    ]);
    assert.deepEqual(eps[0], [
      { ip: "10.244.1.2", port: 8080, pod: "default/w1" },
      { ip: "10.244.2.2", port: 8080, pod: "default/w2" },
    ]);
    assert.deepEqual(
      eps[1]?.map((e) => e.port),
      [9000, 9000],
    );
  });

  it("gives selector-less services no endpoints", () => {
    const [s] = planServices(
      parseManifestText(
        "apiVersion: v1\nkind: Service\nmetadata: {name: n}\nspec: {ports: [{port: 1}]}\n",
        "s.yaml",
      ),
      [],
      layout,
    );
    assert.ok(s);
    assert.deepEqual(serviceEndpoints(s, [pod("w", "web", "10.244.1.2")]), [[]]);
  });
});

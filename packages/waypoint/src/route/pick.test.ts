import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../config/types.js";
import { backend } from "../testdata/fixtures.js";
import { pickEndpoint, pickWeighted } from "./pick.js";

test("weighted pick follows the cumulative weights for injected randoms", () => {
  const bs = [backend("v1", 90), backend("zero", 0), backend("v3", 10)];
  const table: [number, string][] = [
    [0, "v1"],
    [0.5, "v1"],
    [0.8999, "v1"],
    [0.9, "v3"],
    [0.99999, "v3"],
  ];
  for (const [r, want] of table) assert.equal(pickWeighted(bs, () => r)?.hostname, want, String(r));
  assert.equal(
    pickWeighted([backend("a", 0)], () => 0.3),
    undefined,
    "all weights 0 → no backend",
  );
  assert.equal(
    pickWeighted([], () => 0.3),
    undefined,
  );
});

test("weighted pick converges on the configured split (seeded LCG, 10k draws)", () => {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const bs = [backend("v1", 90), backend("v3", 10)];
  let v3 = 0;
  for (let i = 0; i < 10_000; i++) if (pickWeighted(bs, rand)?.hostname === "v3") v3++;
  assert.ok(v3 > 850 && v3 < 1150, `v3 share ${v3}/10000`);
});

test("endpoint pick: only endpoints serving the port; retries avoid tried addresses when possible", () => {
  const ep = (address: string, ports: [number, number][]) => ({
    address,
    identity: "spiffe://cluster.local/ns/ns/sa/a",
    workload: `ns/${address}`,
    ports: new Map(ports),
    app: "",
    version: "",
    workloadName: address,
    canonicalName: "",
    canonicalRevision: "",
  });
  const b: Backend = {
    hostname: "h",
    namespace: "ns",
    name: "h",
    ports: [],
    endpoints: [ep("10.0.0.1", [[80, 8080]]), ep("10.0.0.2", [[80, 8081]]), ep("10.0.0.3", [[90, 9090]])],
    anyPort: false,
  };
  assert.deepEqual(
    [0, 0.6].map((r) => pickEndpoint(b, 80, () => r)).map((c) => [c?.endpoint.address, c?.targetPort]),
    [
      ["10.0.0.1", 8080],
      ["10.0.0.2", 8081],
    ],
  );
  assert.equal(pickEndpoint(b, 80, () => 0, new Set(["10.0.0.1"]))?.endpoint.address, "10.0.0.2");
  assert.equal(pickEndpoint(b, 80, () => 0, new Set(["10.0.0.1", "10.0.0.2"]))?.endpoint.address, "10.0.0.1");
  assert.equal(
    pickEndpoint(b, 91, () => 0),
    undefined,
  );
  // Choices are built once per (backend, port): the same object comes back (callers cache per
  // choice); a new config's backend is new objects and gets its own list.
  assert.equal(
    pickEndpoint(b, 80, () => 0),
    pickEndpoint(b, 80, () => 0),
  );
  const b2: Backend = { ...b, endpoints: [ep("10.0.0.9", [[80, 8089]])] };
  assert.deepEqual(
    [pickEndpoint(b2, 80, () => 0)?.endpoint.address, pickEndpoint(b, 80, () => 0)?.endpoint.address],
    ["10.0.0.9", "10.0.0.1"],
  );
});

test("endpoint pick: a workload's own backend (anyPort) serves every port under its own number", () => {
  const pod: Backend = {
    hostname: "10-0-0-5.ns.pod.cluster.local",
    namespace: "ns",
    name: "db-1",
    ports: [],
    endpoints: [
      {
        address: "10.0.0.5",
        identity: "spiffe://cluster.local/ns/ns/sa/db",
        workload: "ns/db-1",
        ports: new Map(),
        app: "",
        version: "",
        workloadName: "db",
        canonicalName: "db",
        canonicalRevision: "latest",
      },
    ],
    anyPort: true,
  };
  assert.deepEqual(
    [5432, 9090].map((p) => pickEndpoint(pod, p, () => 0)).map((c) => [c?.endpoint.address, c?.targetPort]),
    [
      ["10.0.0.5", 5432],
      ["10.0.0.5", 9090],
    ],
  );
  // The same empty port map on an ordinary backend serves nothing.
  assert.equal(
    pickEndpoint({ ...pod, anyPort: false }, 5432, () => 0),
    undefined,
  );
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Ports } from "@ambit/api";
import { nodeInNetns, waitFor } from "@ambit/testing";
import { httpGetInNetns } from "../cluster/probe.js";
import { parseManifestText } from "../manifest/parse-manifests.js";
import {
  assertProcessesGone,
  clusterNetnsInodes,
  type HostView,
  hostView,
  processesInNetns,
} from "../testdata/host-residue.js";
import { resolveComponentMain } from "./components.js";
import { LocalRuntime } from "./local-runtime.js";
import type { ClusterStatus } from "./status.js";

const SERVER = `require("node:http").createServer((q, r) => r.end("ok " + process.env.POD_NAME)).listen(8080)`;
const GET = `require("node:http").get(process.argv[1], { timeout: 3000, agent: false }, (r) => { let b = ""; r.on("data", (c) => b += c); r.on("end", () => process.stdout.write(b)); }).on("error", (e) => process.stdout.write("ERR " + (e.code || e.message))).on("timeout", function () { this.destroy(new Error("timeout")); });`;

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata: {name: mesh, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: mesh, labels: {app: server}}
spec:
  nodeName: node-2
  serviceAccountName: server
  containers: [{name: s, command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: mesh}
spec:
  nodeName: node-1
  containers: [{name: c, command: [sleep, "600"]}]
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: mesh}
spec: {selector: {app: server}, ports: [{port: 80, targetPort: 8080}]}
`;

/** A pod in its own namespace whose label the enrolment test flips (none → ambient → none). */
const edge = (mode: "none" | "ambient") => `apiVersion: v1
kind: Namespace
metadata: {name: edge, labels: {istio.io/dataplane-mode: ${mode}}}
---
apiVersion: v1
kind: Pod
metadata: {name: toggler, namespace: edge}
spec:
  nodeName: node-1
  serviceAccountName: toggler
  containers: [{name: c, command: [sleep, "600"]}]
`;

type J = Record<string, unknown>;
const list = (v: unknown): J[] => (Array.isArray(v) ? (v as J[]) : []);

/** A ztunnel's config dump, read inside its node netns (as `ambit zc` does). */
async function configDump(nodeNetns: string): Promise<J> {
  const r = await httpGetInNetns(nodeNetns, `http://127.0.0.1:${Ports.admin}/config_dump`);
  if ("error" in r || r.status !== 200) assert.fail(`config dump of ${nodeNetns}: ${JSON.stringify(r)}`);
  return JSON.parse(r.body) as J;
}

/** nft tables inside a netns (the node agent's in-pod tables are `inet istio-ambient-*`). */
const nftTables = (netns: string): string =>
  execFileSync("ip", ["netns", "exec", netns, "nft", "list", "tables"], { encoding: "utf8" });

const get = (netns: string, url: string): string => nodeInNetns(netns, GET, [url]);

/** Polls `fn` every 250 ms; its errors fail the test at once. */
const until = <T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> =>
  waitFor(what, fn, { timeoutMs: ms, intervalMs: 250, onError: "throw" });

describe("local mode with the real mesh: component restarts", () => {
  const id = `m${randomBytes(3).toString("hex")}`;
  const prefix = `ambit-${id}-`;
  const stateDir = mkdtempSync(join(tmpdir(), "ambit-mesh-"));
  const rt = LocalRuntime.open({
    stateDir,
    clusterId: id,
    nodes: 2,
    backoff: { initialMs: 200, maxMs: 2000, factor: 2, resetAfterMs: 5000 },
  });
  let clientNs = "";
  let hostBefore: HostView | undefined;

  before(async () => {
    for (const app of ["control-plane", "ztunnel", "node-agent"] as const) {
      const m = resolveComponentMain(app);
      assert.ok(
        m.available,
        `this test needs every component built (npm run build): ${m.available ? "" : m.reason}`,
      );
    }
    hostBefore = hostView(prefix);
    await rt.up(parseManifestText(MANIFESTS, join(stateDir, "m.yaml")));
    const s = await until("pods enrolled", 30_000, async () => {
      const st = await rt.status();
      return st.pods.length === 2 && st.pods.every((p) => p.enrolled === "yes") ? st : undefined;
    });
    clientNs = s.pods.find((p) => p.name === "client")?.netns ?? "";
    await until("first request through the mesh", 20_000, async () =>
      get(clientNs, "http://server.mesh/").startsWith("ok server") ? true : undefined,
    );
  });

  after(async () => {
    await rt.down().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  const component = (s: ClusterStatus, name: string) => s.components.find((c) => c.name === name);

  it("a killed node agent is restarted and traffic keeps flowing meanwhile", async () => {
    const agent = component(await rt.status(), "node-agent-node-1");
    assert.ok(agent?.pid !== undefined);
    process.kill(agent.pid, "SIGKILL");
    for (let i = 0; i < 5; i++) assert.match(get(clientNs, "http://server.mesh/"), /^ok server/);
    await until("node agent restarted", 10_000, async () => {
      const c = component(await rt.status(), "node-agent-node-1");
      return c?.restarts === 1 && c.state === "running" ? true : undefined;
    });
    assert.match(get(clientNs, "http://server.mesh/"), /^ok server/);
  });

  it("a killed ztunnel is restarted and every pod of its node works again", async () => {
    const zt = component(await rt.status(), "ztunnel-node-1");
    assert.ok(zt?.pid !== undefined);
    process.kill(zt.pid, "SIGKILL");
    const s = await until("ztunnel restarted and ready", 20_000, async () => {
      const st = await rt.status();
      const c = component(st, "ztunnel-node-1");
      return c?.restarts === 1 && c.health === "ready" ? st : undefined;
    });
    assert.notEqual(component(s, "ztunnel-node-1")?.pid, zt.pid);
    await until("traffic from node-1 again", 20_000, async () =>
      get(clientNs, "http://server.mesh/").startsWith("ok server") ? true : undefined,
    );
    const st = await rt.status();
    assert.ok(
      st.pods.every((p) => p.enrolled === "yes"),
      JSON.stringify(st.pods),
    );
  });

  it("enrolment follows the namespace label both ways: none → ambient → none", async () => {
    const toggler = "spiffe://cluster.local/ns/edge/sa/toggler";
    const apply = (mode: "none" | "ambient") =>
      rt.apply(parseManifestText(edge(mode), join(stateDir, `edge-${mode}.yaml`)));
    /** Waits for the whole effect of one label value, then proves the traffic path with it. */
    const expectEnrolled = async (enrolled: boolean) => {
      const pod = await until(`toggler enrolled=${enrolled}`, 20_000, async () => {
        const p = (await rt.status()).pods.find((x) => x.name === "toggler");
        return p?.phase === "Running" && p.enrolled === (enrolled ? "yes" : "no") ? p : undefined;
      });
      assert.equal(pod.mesh, enrolled ? "ambient" : "none");
      // The node agent's in-pod tables and ztunnel's ZDS view of its node's pods.
      const tables = nftTables(pod.netns);
      if (enrolled) {
        assert.match(tables, /^table inet istio-ambient-nat$/m);
        assert.match(tables, /^table inet istio-ambient-mangle$/m);
      } else assert.doesNotMatch(tables, /istio-ambient/);
      await until(
        `ztunnel node-1 proxies toggler=${enrolled} and its workload is ${enrolled ? "hbone" : "not hbone"}`,
        20_000,
        async () => {
          const d = await configDump(`${prefix}node-1`);
          const proxied = list(d["proxies"]).some((x) => x["name"] === "toggler");
          const w = list(d["workloads"]).find((x) => x["name"] === "toggler" && x["namespace"] === "edge");
          return proxied === enrolled && w !== undefined && (w["tunnelProtocol"] === "hbone") === enrolled
            ? true
            : undefined;
        },
      );
      // One new connection to the (enrolled) server on node-2: node-2's ztunnel records it as mTLS
      // with the toggler's identity only while the toggler is enrolled; node-1's ztunnel carries
      // it (outbound record) only then.
      const seen = async (netns: string) =>
        new Set(list((await configDump(netns))["recentConnections"]).map((c) => String(c["id"])));
      const [old1, old2] = [await seen(`${prefix}node-1`), await seen(`${prefix}node-2`)];
      assert.match(get(pod.netns, "http://server.mesh/"), /^ok server/);
      const fresh = (d: J, old: Set<string>) =>
        list(d["recentConnections"]).filter(
          (c) => !old.has(String(c["id"])) && String(c["src_addr"]).startsWith(`${pod.ip}:`),
        );
      const inbound = await until("node-2 records the toggler's connection", 10_000, async () => {
        const r = fresh(await configDump(`${prefix}node-2`), old2).find(
          (c) => c["reporter"] === "destination",
        );
        return r;
      });
      assert.equal(inbound["mtls"], enrolled, JSON.stringify(inbound));
      if (enrolled) assert.equal(inbound["src_identity"], toggler);
      else assert.notEqual(inbound["src_identity"], toggler);
      const outbound = fresh(await configDump(`${prefix}node-1`), old1);
      assert.equal(outbound.length > 0, enrolled, JSON.stringify(outbound));
    };
    await apply("none");
    await expectEnrolled(false);
    await apply("ambient");
    await expectEnrolled(true);
    await apply("none");
    await expectEnrolled(false);
  });

  it("down leaves no residue with the real components (namespaces, links, nft, /etc/netns, processes)", async () => {
    const inodes = clusterNetnsInodes(prefix);
    const running = processesInNetns(inodes);
    // control plane, 2 ztunnels, 2 node agents, 3 pods
    assert.ok(running.length >= 8, `processes in the cluster: ${running.length}`);
    await rt.down();
    assert.deepEqual(processesInNetns(inodes), [], "a process is left in a (now nameless) cluster netns");
    await assertProcessesGone(running);
    assert.deepEqual(hostView(prefix), hostBefore);
  });
});

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { nodeInNetns, pidAlive } from "@ambit/testing";
import { parseManifestText } from "../manifest/parse-manifests.js";
import { podHostVeth } from "../plan/cluster-layout.js";
import { type HostView, hostLinks, hostView, readdirSafe } from "../testdata/host-residue.js";
import { LocalRuntime } from "./local-runtime.js";

/** Runs a short node script inside a pod netns (hosts/resolv.conf of the pod apply). */
const inPod = (netns: string, script: string, ...args: string[]): string =>
  nodeInNetns(netns, script, args, 15_000);

const GET = `require("node:http").get(process.argv[1], { timeout: 4000 }, (r) => { let b = ""; r.on("data", (c) => b += c); r.on("end", () => process.stdout.write(b)); }).on("error", (e) => process.stdout.write("ERR " + e.code));`;
const SERVER = `require("node:http").createServer((q, r) => r.end(process.env.POD_NAME + " " + process.env.NODE_NAME + " " + q.socket.remoteAddress.replace("::ffff:", ""))).listen(8080)`;

function manifests(replicas: number, withService = true): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: demo}
spec:
  nodeName: node-1
  containers: [{name: c, command: [sleep, "600"]}]
${
  withService
    ? `---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
`
    : ""
}`;
}

async function waitFor<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("LocalRuntime (real namespaces)", () => {
  const id = `t${randomBytes(3).toString("hex")}`;
  const prefix = `ambit-${id}-`;
  const stateDir = mkdtempSync(join(tmpdir(), "ambit-rt-"));
  let rt: LocalRuntime;
  let before0: HostView;
  const pids = new Set<number>();

  before(async () => {
    before0 = hostView(prefix);
    rt = LocalRuntime.open({
      stateDir,
      clusterId: id,
      nodes: 2,
      resolveMain: (app) => ({ available: false, app, reason: "not used in this test" }),
    });
    await rt.up(parseManifestText(manifests(2), join(stateDir, "m.yaml")));
  });

  after(async () => {
    await rt.down().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("spreads pods over the nodes and publishes them", async () => {
    const s = await rt.status();
    const byName = new Map(s.pods.map((p) => [p.name.replace(/-[0-9a-f]{5}-/, "-"), p]));
    assert.equal(byName.get("client")?.node, "node-1");
    assert.deepEqual(
      new Set(s.pods.filter((p) => p.name.startsWith("web-")).map((p) => p.node)),
      new Set(["node-1", "node-2"]),
    );
    for (const p of s.pods) for (const c of p.containers) if (c.pid !== undefined) pids.add(c.pid);
    const podsJson = JSON.parse(readFileSync(join(stateDir, "nodes", "node-2", "pods.json"), "utf8"));
    assert.equal(podsJson.node, "node-2");
    assert.ok(podsJson.generation >= 1);
    assert.equal(podsJson.pods.length, 1);
    assert.ok(existsSync(podsJson.pods[0].netnsPath));
    const cfg = readdirSync(join(stateDir, "config"));
    assert.ok(
      cfg.some((f) => f.startsWith("pod--demo--web-")),
      cfg.join(","),
    );
    assert.ok(cfg.includes("service--demo--web.yaml"));
  });

  it("nothing in the cluster routes to the host's interfaces, and the host netns gains no link", async () => {
    assert.deepEqual(hostLinks(), before0.links, "up added a link to the host netns");
    const s = await rt.status();
    const client = s.pods.find((p) => p.name === "client");
    const remote = s.pods.find((p) => p.name.startsWith("web-") && p.node === "node-2");
    assert.ok(client && remote);
    // `ip route get` only asks the kernel's routing table: no packet leaves any namespace.
    const routeGet = (netns: string, ...args: string[]) => {
      const r = spawnSync("ip", ["netns", "exec", netns, "ip", ...args], { encoding: "utf8" });
      return { ok: r.status === 0, text: `${r.stdout}${r.stderr}`.trim() };
    };
    const outside = [
      ["route", "get", "8.8.8.8"],
      ["-6", "route", "get", "2001:4860:4860::8888"],
    ];
    for (const ns of [
      `${prefix}cluster`,
      `${prefix}cp`,
      `${prefix}node-1`,
      `${prefix}node-2`,
      client.netns,
    ]) {
      assert.ok(existsSync(`/var/run/netns/${ns}`), `${ns} exists`);
      for (const args of outside.slice(ns === client.netns ? 1 : 0)) {
        const r = routeGet(ns, ...args);
        assert.ok(!r.ok, `${ns}: ${args.join(" ")} found a route: ${r.text}`);
        assert.match(r.text, /unreachable/i);
      }
    }
    // A pod's default route only leads to its node; what the node would do with a pod's packet
    // (`iif` simulates forwarding) is the real answer: nowhere outside, but on to other pods.
    const viaNode = routeGet(client.netns, "route", "get", "8.8.8.8");
    assert.ok(viaNode.ok, viaNode.text);
    assert.match(viaNode.text, /via 10\.244\.1\.1 dev eth0/);
    const iif = ["from", client.ip, "iif", podHostVeth(client.uid)];
    const forwarded = routeGet(`${prefix}node-1`, "route", "get", "8.8.8.8", ...iif);
    assert.ok(!forwarded.ok, `node-1 forwards a pod's packet out: ${forwarded.text}`);
    assert.match(forwarded.text, /unreachable/i);
    const control = routeGet(`${prefix}node-1`, "route", "get", remote.ip, ...iif);
    assert.ok(control.ok, `control: node-1 should forward to the remote pod: ${control.text}`);
    assert.match(control.text, /via 10\.250\.0\.12 dev eth0/);
  });

  it("pods on two nodes reach each other by pod IP, Service VIP and Service name", async () => {
    const s = await rt.status();
    const client = s.pods.find((p) => p.name === "client");
    const remote = s.pods.find((p) => p.name.startsWith("web-") && p.node === "node-2");
    const vip = s.services.find((v) => v.name === "web")?.vip;
    assert.ok(client && remote && vip);
    const byIp = await waitFor(
      () => {
        const out = inPod(client.netns, GET, `http://${remote.ip}:8080/`);
        return out.startsWith("ERR") ? undefined : out;
      },
      10_000,
      "web pod to listen",
    );
    assert.equal(byIp, `${remote.name} node-2 ${client.ip}`, "the server sees the client's own pod IP");
    // DNAT picks an endpoint at random (p = 1/2 each): 8 tries missed one endpoint 1 time in 128,
    // so try until both answered (at most 64 tries: 2^-63) and require every answer from a web pod.
    const seen = new Set<string>();
    for (let i = 0; i < 64 && seen.size < 2; i++) {
      const answer = inPod(client.netns, GET, `http://${vip}/`);
      // The node-1 replica may still be starting (only node-2's was waited for above).
      if (!answer.startsWith("ERR")) seen.add(answer.split(" ")[0] ?? "");
    }
    assert.equal(seen.size, 2, `VIP spreads over both endpoints: ${[...seen].join(",")}`);
    for (const name of seen) assert.match(name, /^web-/);
    assert.match(inPod(client.netns, GET, "http://web.demo.svc.cluster.local/"), /^web-/);
    const resolved = inPod(
      client.netns,
      `require("node:dns").lookup(process.argv[1], (e, a) => process.stdout.write(e ? "ERR" : a))`,
      "web",
    );
    assert.equal(resolved, vip, "short name resolves to the VIP via the pod's hosts file");
  });

  it("a pod reaches itself through the VIP (hairpin)", async () => {
    const s = await rt.status();
    const web = s.pods.find((p) => p.name.startsWith("web-") && p.node === "node-1");
    const vip = s.services.find((v) => v.name === "web")?.vip;
    assert.ok(web && vip);
    for (let i = 0; i < 8; i++) assert.doesNotMatch(inPod(web.netns, GET, `http://${vip}/`), /^ERR/);
  });

  it("the supervisor restarts a killed container inside its pod netns", async () => {
    const s = await rt.status();
    const web = s.pods.find((p) => p.name.startsWith("web-") && p.node === "node-2");
    const client = s.pods.find((p) => p.name === "client");
    const pid = web?.containers[0]?.pid;
    assert.ok(web && client && pid !== undefined);
    process.kill(pid, "SIGKILL");
    let now = await rt.status();
    for (let i = 0; i < 50; i++) {
      const p = now.pods.find((x) => x.name === web.name);
      if (p?.restarts === 1 && p.containers[0]?.state === "running") break;
      await new Promise((r) => setTimeout(r, 100));
      now = await rt.status();
    }
    const again = now.pods.find((x) => x.name === web.name);
    assert.equal(again?.restarts, 1);
    assert.notEqual(again?.containers[0]?.pid, pid);
    if (again?.containers[0]?.pid !== undefined) pids.add(again.containers[0].pid);
    const out = await waitFor(
      () => {
        const o = inPod(client.netns, GET, `http://${web.ip}:8080/`);
        return o.startsWith("ERR") ? undefined : o;
      },
      10_000,
      "restarted server",
    );
    assert.match(out, new RegExp(`^${web.name} node-2 `));
  });

  it("re-applying is a no-op; scaling adds a pod; deleting the Service removes VIP, rules and name", async () => {
    const beforeNames = (await rt.status()).pods.map((p) => p.name).sort();
    await rt.apply(parseManifestText(manifests(2), join(stateDir, "m.yaml")));
    assert.deepEqual((await rt.status()).pods.map((p) => p.name).sort(), beforeNames);
    await rt.apply(parseManifestText(manifests(3), join(stateDir, "m.yaml")));
    const s = await rt.status();
    assert.equal(s.pods.filter((p) => p.name.startsWith("web-")).length, 3);
    for (const p of s.pods) for (const c of p.containers) if (c.pid !== undefined) pids.add(c.pid);
    const client = s.pods.find((p) => p.name === "client");
    assert.ok(client);
    const missing = await rt.delete(["Service/demo/web", "Service/demo/nope"]);
    assert.deepEqual(missing, ["Service/demo/nope"]);
    assert.equal(
      inPod(client.netns, `require("node:dns").lookup("web", (e) => process.stdout.write(e ? "ERR" : "OK"))`),
      "ERR",
    );
    const rules = execFileSync(
      "ip",
      ["netns", "exec", `${prefix}node-1`, "nft", "list", "table", "ip", "ambit_services"],
      {
        encoding: "utf8",
      },
    );
    assert.doesNotMatch(rules, /dnat to/);
  });

  it("enrolment labels change in place: pods.json gets a new generation, pods keep uid and IP", async () => {
    const file = join(stateDir, "nodes", "node-1", "pods.json");
    const before1 = JSON.parse(readFileSync(file, "utf8"));
    const labelled = manifests(3, false).replace(
      "metadata: {name: demo}",
      "metadata: {name: demo, labels: {istio.io/dataplane-mode: ambient}}",
    );
    await rt.apply(parseManifestText(labelled, join(stateDir, "m.yaml")));
    const after1 = JSON.parse(readFileSync(file, "utf8"));
    assert.ok(after1.generation > before1.generation);
    assert.deepEqual(
      after1.pods.map((p: { uid: string; ip: string }) => [p.uid, p.ip]),
      before1.pods.map((p: { uid: string; ip: string }) => [p.uid, p.ip]),
    );
    assert.ok(
      after1.pods.every(
        (p: { namespaceLabels: Record<string, string> }) =>
          p.namespaceLabels["istio.io/dataplane-mode"] === "ambient",
      ),
    );
    assert.ok((await rt.status()).pods.every((p) => p.mesh === "ambient"));
  });

  it("down removes namespaces, links, nft tables, /etc/netns entries and processes", async () => {
    assert.ok(hostView(prefix).netns.length >= 6);
    const report = await rt.down();
    assert.ok(report.namespaces.length === 0 || report.namespaces.every((n) => n.startsWith(prefix)));
    assert.deepEqual(hostView(prefix), before0);
    assert.ok(pids.size >= 4);
    for (const pid of pids) assert.ok(!pidAlive(pid), `process ${pid} still alive`);
    assert.deepEqual(
      readdirSafe(stateDir).filter((e) => e !== "logs"),
      [],
    );
    await rt.down(); // idempotent
  });
});

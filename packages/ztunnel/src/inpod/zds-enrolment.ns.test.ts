/**
 * ZDS end to end across two processes: the real node agent (`node-agent/src/main.ts`, spawned as a
 * child, never imported: apps meet only over the wire) and this process as ztunnel, whose proxy
 * factory opens a real listener on 15001 inside the netns fd it receives. Traffic from the pod
 * reaching that listener proves rules + fd passing together.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type NodePodRecord, Ports, ZTUNNEL_MARK } from "@ambit/api";
import { connectInNetns, listenInNetns } from "@ambit/sockets";
import { NetnsHarness } from "@ambit/testing";
import type { InpodPod, PodProxyFactory, PodProxyHandle } from "./pod-proxy-factory.js";
import { ZdsClient } from "./zds-client.js";

const ROOT = new URL("../../../../", import.meta.url).pathname;
const AGENT_MAIN = new URL("../../../node-agent/src/main.ts", import.meta.url).pathname;
const NODE = "n1";

/** ztunnel stand-in: a real in-netns listener per pod; can be told to fail N starts. */
class ListenerFactory implements PodProxyFactory {
  readonly attempts: string[] = [];
  readonly stopped: string[] = [];
  readonly failures = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();

  async start(pod: InpodPod): Promise<PodProxyHandle> {
    this.attempts.push(pod.uid);
    const left = this.failures.get(pod.uid) ?? 0;
    if (left > 0) {
      this.failures.set(pod.uid, left - 1);
      throw new Error("injected start failure");
    }
    const mine = new Set<net.Socket>();
    const server = await listenInNetns(
      { netns: pod.netnsFd, host: "127.0.0.1", port: Ports.outbound, mark: ZTUNNEL_MARK },
      (s) => {
        this.sockets.add(s);
        mine.add(s);
        s.on("data", (d) => s.write(`${pod.name}:${d.toString()}`));
        s.on("error", () => undefined);
        s.on("close", () => this.sockets.delete(s));
      },
    );
    return {
      stop: async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        for (const s of mine) s.destroy();
        await closed;
        this.stopped.push(pod.uid);
      },
    };
  }

  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}

interface AgentStatus {
  ztunnelConnected: boolean;
  pods: { uid: string; rules: string; ztunnel: string; enrolled: boolean; lastError?: string }[];
}

const agentLog: string[] = [];

async function until<T>(what: string, f: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; agent log tail:\n${agentLog.join("").slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function roundTrip(s: net.Socket, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    s.once("data", (d) => resolve(d.toString()));
    s.once("error", reject);
    s.write(msg);
  });
}

describe("ZDS enrolment: node agent process ↔ ztunnel client", { timeout: 120_000 }, () => {
  let h: NetnsHarness;
  let stateDir: string;
  let agent: ChildProcess | undefined;
  const clients: ZdsClient[] = [];
  const factories: ListenerFactory[] = [];
  const conns: net.Socket[] = [];
  let generation = 0;
  const pods = new Map<string, NodePodRecord>();
  const nodeDir = () => join(stateDir, "nodes", NODE);

  const writePods = () => {
    const f = join(nodeDir(), "pods.json");
    writeFileSync(
      `${f}.tmp`,
      JSON.stringify({ node: NODE, generation: ++generation, pods: [...pods.values()] }),
    );
    renameSync(`${f}.tmp`, f);
  };
  const status = (): AgentStatus | undefined => {
    try {
      return JSON.parse(readFileSync(join(nodeDir(), "node-agent-status.json"), "utf8")) as AgentStatus;
    } catch {
      return undefined;
    }
  };
  const podStatus = (uid: string) => status()?.pods.find((p) => p.uid === uid);
  const startAgent = () => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=source",
        "--import",
        "tsx",
        AGENT_MAIN,
        "--node",
        NODE,
        "--state-dir",
        stateDir,
        "--retry-interval-ms",
        "300",
      ],
      { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, AMBIT_LOG: "info" } },
    );
    child.stderr?.on("data", (d: Buffer) => agentLog.push(d.toString()));
    agent = child;
    return child;
  };
  const stopAgent = async () => {
    const a = agent;
    if (!a || a.exitCode !== null) return null;
    const exited = new Promise<number | null>((r) => a.once("exit", (code) => r(code)));
    a.kill("SIGTERM");
    agent = undefined;
    return exited;
  };
  const startClient = () => {
    const factory = new ListenerFactory();
    const client = new ZdsClient({ socketPath: join(nodeDir(), "ztunnel.sock"), factory });
    client.start();
    clients.push(client);
    factories.push(factory);
    return { client, factory };
  };
  const nft = async (role: string) => (await h.exec(h.name(role), ["nft", "-a", "list", "ruleset"])).stdout;
  const dial = async (role: string, host: string) => {
    const s = await connectInNetns({ netns: h.path(h.name(role)), host, port: 80, timeoutMs: 3000 });
    conns.push(s);
    return s;
  };

  before(async () => {
    h = await NetnsHarness.create();
    stateDir = mkdtempSync(join(tmpdir(), "ambit-agent-"));
    const nsA = await h.addNamespace("podA");
    const nsB = await h.addNamespace("podB");
    // One veth between the two pods gives each a routable subnet (dials to .8/.9 are captured
    // before any neighbour lookup, so nothing needs to answer there).
    await h.addVeth({ ns: nsA, name: "eth0" }, { ns: nsB, name: "eth0" });
    for (const [role, ns, ip] of [
      ["podA", nsA, "10.203.0.2"],
      ["podB", nsB, "10.203.0.3"],
    ] as const) {
      await h.addAddress(ns, "eth0", `${ip}/24`);
      pods.set(role, {
        uid: `uid-${role}`,
        name: role,
        namespace: "demo",
        serviceAccount: "sa",
        labels: {},
        annotations: {},
        namespaceLabels: role === "podA" ? { "istio.io/dataplane-mode": "ambient" } : {},
        netnsPath: h.path(ns),
        ip,
        phase: "Running",
      });
    }
    mkdirSync(nodeDir(), { recursive: true });
    writePods();
  });

  after(async () => {
    for (const c of conns) c.destroy();
    for (const f of factories) f.destroyAll();
    for (const c of clients) await c.stop();
    await stopAgent();
    await h?.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("installs rules first; the pod counts as enrolled only once ztunnel acked it", async () => {
    startAgent();
    await until("podA rules", () => podStatus("uid-podA")?.rules === "installed");
    assert.equal(podStatus("uid-podA")?.enrolled, false, "no ztunnel yet: not enrolled");
    assert.match(await nft("podA"), /table inet istio-ambient-nat/);
    assert.equal((await nft("podB")).trim(), "", "podB is not enrolled: no rules");
    const { factory } = startClient();
    await until("podA enrolled", () => podStatus("uid-podA")?.enrolled);
    assert.deepEqual(factory.attempts, ["uid-podA"]);
    const c = await dial("podA", "10.203.0.9");
    assert.equal(
      await roundTrip(c, "hello"),
      "podA:hello",
      "pod traffic reaches the proxy opened in the passed netns",
    );
  });

  it("NACKed adds are retried until ztunnel acks", async () => {
    const factory = factories[0];
    assert.ok(factory);
    factory.failures.set("uid-podB", 2);
    const b = pods.get("podB");
    assert.ok(b);
    pods.set("podB", { ...b, labels: { "istio.io/dataplane-mode": "ambient" } });
    writePods();
    await until("podB nacked", () => podStatus("uid-podB")?.lastError?.includes("injected start failure"));
    assert.equal(podStatus("uid-podB")?.enrolled, false);
    await until("podB enrolled", () => podStatus("uid-podB")?.enrolled);
    assert.deepEqual(factory.attempts.filter((u) => u === "uid-podB").length, 3);
    assert.equal(await roundTrip(await dial("podB", "10.203.0.8"), "b"), "podB:b");
  });

  it("an agent restart keeps rules and live connections; the new agent's snapshot keeps running proxies", async () => {
    const live = conns[0];
    assert.ok(live);
    const rulesBefore = await nft("podA");
    assert.equal(await stopAgent(), 0, "SIGTERM is a clean exit");
    assert.equal(await nft("podA"), rulesBefore, "stopping the agent leaves pod rules in place");
    assert.equal(await roundTrip(live, "during"), "podA:during");
    const startsBefore = factories[0]?.attempts.length;
    startAgent();
    const client = clients[0];
    assert.ok(client);
    await until("ztunnel reconnected", () => client.connectionCount === 2);
    await until(
      "both enrolled again",
      () => status()?.pods.every((p) => p.enrolled) && status()?.pods.length === 2,
    );
    assert.equal(await nft("podA"), rulesBefore, "the restarted agent did not rewrite correct rules");
    assert.equal(factories[0]?.attempts.length, startsBefore, "same netns: proxies kept, not restarted");
    assert.equal(await roundTrip(live, "after"), "podA:after");
  });

  it("a new ztunnel gets the whole snapshot replayed", async () => {
    const old = clients[0];
    assert.ok(old);
    factories[0]?.destroyAll();
    await old.stop();
    await until("agent saw ztunnel go", () => status()?.ztunnelConnected === false);
    assert.equal(podStatus("uid-podA")?.enrolled, false, "without ztunnel a pod is not enrolled");
    const { factory } = startClient();
    await until("snapshot replayed", () => status()?.pods.every((p) => p.enrolled));
    assert.deepEqual([...factory.attempts].sort(), ["uid-podA", "uid-podB"]);
    assert.equal(await roundTrip(await dial("podA", "10.203.0.9"), "new"), "podA:new");
  });

  it("deletion and un-enrolment remove rules and send Del", async () => {
    const factory = factories[1];
    assert.ok(factory);
    pods.delete("podB");
    writePods();
    await until("podB forgotten", () => podStatus("uid-podB") === undefined && status()?.pods.length === 1);
    await until("podB proxies stopped", () => factory.stopped.includes("uid-podB"));
    assert.equal(
      (await nft("podB")).trim(),
      "",
      `podB rules removed; agent log:\n${agentLog.join("").slice(-2500)}`,
    );
    const a = pods.get("podA");
    assert.ok(a);
    pods.set("podA", { ...a, labels: { "istio.io/dataplane-mode": "none" } });
    writePods();
    await until("podA proxies stopped", () => factory.stopped.includes("uid-podA"));
    await until("podA un-enrolled", () => podStatus("uid-podA")?.rules === "absent");
    assert.equal((await nft("podA")).trim(), "");
    assert.doesNotMatch((await h.ip(h.name("podA"), ["rule", "show"])).stdout, /0x111/);
  });
});

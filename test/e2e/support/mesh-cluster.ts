/**
 * One real local cluster per e2e test file: the local runtime brings up N nodes in network
 * namespaces running the REAL control plane, ztunnels and node agents from sources, plus the
 * file's pods. Helpers read each ztunnel's access records from its /config_dump, apply and delete
 * manifests, and (optionally) hold the control plane down on purpose.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ports } from "@ambit/api";
import {
  type ClusterStatus,
  httpGetInNetns,
  LocalRuntime,
  objectKey,
  type PodStatus,
  parseManifestText,
} from "@ambit/local";
import { waitFor } from "./wait.js";

const root = new URL("../../..", import.meta.url).pathname;
const GATE_MAIN = new URL("./control-plane-gate-main.ts", import.meta.url).pathname;

/** One ztunnel access-log line as kept in `/config_dump` `recentConnections`. */
export interface AccessRecord {
  /** The HBONE traceparent: the same id on both ztunnels for one connection. */
  readonly id: string;
  readonly direction: "outbound" | "inbound" | "inbound_plaintext";
  readonly reporter: "source" | "destination";
  readonly src_addr: string;
  readonly dst_addr: string;
  readonly src_identity?: string;
  readonly dst_identity?: string;
  readonly dst_service?: string;
  readonly mtls: boolean;
  readonly bytes_sent: number;
  readonly bytes_received: number;
  readonly response_flags: string;
  readonly error?: string;
  readonly reason?: string;
  readonly detail?: string;
  readonly hbone_next_hop?: string;
  /** When the ztunnel recorded it (ISO). */
  readonly at: string;
}

export interface MeshClusterOptions {
  /** Short tag used in the temp dir name. */
  readonly name: string;
  /** Multi-document YAML applied at `up`. */
  readonly manifests: string;
  readonly nodes?: number;
  /**
   * Start the control plane through a gate (see control-plane-gate-main.ts) so that
   * {@link MeshCluster.holdControlPlane} can keep it down for as long as a test wants.
   */
  readonly gateControlPlane?: boolean;
}

/** A running cluster and the handful of operations the e2e tests need. */
export interface MeshCluster {
  readonly rt: LocalRuntime;
  readonly stateDir: string;
  /** Latest status (refresh with {@link refresh}). */
  status(): ClusterStatus;
  refresh(): Promise<ClusterStatus>;
  pod(name: string): PodStatus;
  /** Netns of the node (where its ztunnel's admin port listens). */
  nodeNetns(node: string): string;
  /** The cluster bridge's netns (every inter-node packet crosses its br0). */
  bridgeNetns(): string;
  vip(service: string): string;
  apply(yaml: string): Promise<void>;
  /** Deletes `Kind/ns/name` keys. */
  remove(...keys: string[]): Promise<void>;
  /** The node ztunnel's recent access records, oldest first. */
  records(node: string): Promise<AccessRecord[]>;
  /** Waits for a record on `node` recorded at/after `since` that satisfies `pred`. */
  waitRecord(
    node: string,
    since: string,
    pred: (r: AccessRecord) => boolean,
    ms?: number,
  ): Promise<AccessRecord>;
  /** Stops the control plane process and keeps it down until the returned function is called. */
  holdControlPlane(): Promise<() => Promise<void>>;
  /**
   * The last warn/error lines of every component's log: appended to a failing test's error so
   * that a CI log, which keeps only the failure, still says what the mesh saw.
   */
  diagnose(lines?: number): string;
  /** Runs `fn`; on failure rethrows with {@link diagnose} appended to the message. */
  explain<T>(fn: () => Promise<T>): Promise<T>;
  down(): Promise<void>;
}

/** Key of a namespaced object for {@link MeshCluster.remove}. */
export const keyOf = objectKey;

/** Brings a cluster up and waits until every pod is enrolled (or plain) and every component ready. */
export async function startMeshCluster(opts: MeshClusterOptions): Promise<MeshCluster> {
  const stateDir = mkdtempSync(join(tmpdir(), `ambit-e2e-${opts.name}-`));
  const gateFile = join(stateDir, "hold-control-plane");
  const saved = process.env["NODE_OPTIONS"];
  // The components run from sources: the supervisor starts `node <main>` with this environment.
  process.env["NODE_OPTIONS"] = `--conditions=source --import ${import.meta.resolve("tsx")}`;
  const rt = LocalRuntime.open({
    stateDir,
    clusterId: `e${randomBytes(3).toString("hex")}`,
    nodes: opts.nodes ?? 2,
    backoff: { initialMs: 200, maxMs: 2000, factor: 2, resetAfterMs: 10_000 },
    resolveMain: (app) => ({
      available: true,
      app,
      path:
        app === "control-plane" && opts.gateControlPlane === true
          ? GATE_MAIN
          : join(root, "packages", app, "src", "main.ts"),
    }),
  });
  let status: ClusterStatus | undefined;
  let readyAt = "";
  try {
    await rt.up(parseManifestText(opts.manifests, join(stateDir, `${opts.name}.yaml`)));
  } catch (e) {
    await rt.down().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
    throw e;
  } finally {
    if (saved === undefined) delete process.env["NODE_OPTIONS"];
    else process.env["NODE_OPTIONS"] = saved;
  }
  const c: MeshCluster = {
    rt,
    stateDir,
    status: () => {
      assert.ok(status, "cluster status not read yet");
      return status;
    },
    refresh: async () => {
      status = await rt.status();
      return status;
    },
    pod: (name) => {
      const p = c.status().pods.find((x) => x.name === name);
      assert.ok(p, `pod ${name}`);
      return p;
    },
    nodeNetns: (node) => {
      const n = c.status().nodes.find((x) => x.name === node);
      assert.ok(n, `node ${node}`);
      return n.netns;
    },
    bridgeNetns: () => rt.layout.clusterNetns,
    vip: (service) => {
      const s = c.status().services.find((x) => x.name === service);
      assert.ok(s && s.vip !== "", `service ${service}: ${JSON.stringify(c.status().services)}`);
      return s.vip;
    },
    apply: async (yaml) => {
      await rt.apply(parseManifestText(yaml, join(stateDir, "applied.yaml")));
    },
    remove: async (...keys) => {
      const missing = await rt.delete(keys);
      assert.deepEqual(missing, [], "deleted keys that were never applied");
    },
    records: async (node) => {
      const r = await httpGetInNetns(c.nodeNetns(node), `http://127.0.0.1:${Ports.admin}/config_dump`, 5000);
      if (!("status" in r) || r.status !== 200)
        throw new Error(`config_dump on ${node}: ${JSON.stringify(r)}`);
      return (JSON.parse(r.body) as { recentConnections: AccessRecord[] }).recentConnections;
    },
    waitRecord: async (node, since, pred, ms = 10_000) => {
      let last: AccessRecord[] = [];
      return waitFor(
        `an access record on ${node}`,
        async () => {
          last = await c.records(node);
          return last.find((r) => r.at >= since && pred(r));
        },
        ms,
        () => JSON.stringify(last.filter((r) => r.at >= since)),
      );
    },
    holdControlPlane: async () => {
      assert.ok(opts.gateControlPlane, "cluster was started without gateControlPlane");
      const cp = (await c.refresh()).components.find((x) => x.app === "control-plane");
      assert.ok(cp?.pid, "control plane pid");
      writeFileSync(gateFile, "held by an e2e test\n");
      process.kill(cp.pid, "SIGTERM");
      await waitFor(
        "the control plane to stop listening",
        async () => {
          const s = await c.refresh();
          const now = s.components.find((x) => x.app === "control-plane");
          // The gate process may run (not listening): anything but "ready" on a new pid.
          return now?.pid !== cp.pid && now?.health !== "ready" ? true : undefined;
        },
        20_000,
      );
      return async () => {
        rmSync(gateFile, { force: true });
        await waitFor(
          "the control plane to listen again",
          async () => {
            const s = await c.refresh();
            return s.components.find((x) => x.app === "control-plane")?.health === "ready" ? true : undefined;
          },
          30_000,
        );
      };
    },
    diagnose: (lines = 8) => {
      const out: string[] = [];
      for (const comp of status?.components ?? []) {
        const file = rt.paths.logFile(comp.name);
        if (!existsSync(file)) continue;
        // Only what happened after the cluster was ready: start-up noise (e.g. ztunnels retrying
        // xDS before the control plane listens) would otherwise crowd out the interesting lines.
        const bad = readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => /"level":"(warn|error)"|Error|error:/.test(l))
          .filter((l) => (/"time":"([^"]+)"/.exec(l)?.[1] ?? readyAt) >= readyAt);
        if (bad.length === 0) continue;
        out.push(`--- ${comp.name} (${bad.length} warn/error lines, last ${lines}):`);
        for (const l of bad.slice(-lines)) out.push(l.length > 400 ? `${l.slice(0, 400)}…` : l);
      }
      return out.join("\n");
    },
    explain: async (fn) => {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof Error) e.message = `${e.message}\n${c.diagnose()}`;
        throw e;
      }
    },
    down: async () => {
      await rt.down().catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  try {
    status = await waitFor(
      "every pod running (mesh pods enrolled) and every component ready",
      async () => {
        const s = await c.refresh();
        const podsOk = s.pods.every(
          (p) => p.phase === "Running" && (p.mesh === "none" || p.enrolled === "yes"),
        );
        const compOk = s.components.every((x) => x.health === "ready" || x.health === "alive");
        return podsOk && compOk ? s : undefined;
      },
      120_000,
      () => JSON.stringify({ pods: status?.pods, components: status?.components }),
    );
    readyAt = new Date().toISOString();
  } catch (e) {
    await c.down();
    throw e;
  }
  return c;
}

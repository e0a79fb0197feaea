/**
 * The node agent's control loop: pods.json → per-pod plan (`pod-plan.ts`) → steps executed
 * through the redirector (rules) and the ZDS server (ztunnel). One pass at a time; passes are
 * triggered by file changes, ztunnel (dis)connects, acks, and retry deadlines (5 s).
 */
import { rename, writeFile } from "node:fs/promises";
import type { NodePodRecord, NodePodsFile } from "@ambit/api";
import { createLogger, errorMessage, ZDS_RETRY_INTERVAL_MS } from "@ambit/core";
import type { InpodRedirector } from "../netns/index.js";
import type { InpodRulesConfig } from "../rules/index.js";
import { type ZdsOutcome, type ZdsPod, ZdsServer } from "../zds/index.js";
import { isEnrolled, type PodEntry, planPod, rulesConfigFor, wantsEnrolment } from "./pod-plan.js";
import { readPodsFile, watchPodsFile } from "./pods-file.js";

const log = createLogger("node-agent");

export interface NodeAgentOptions {
  readonly node: string;
  readonly podsFile: string;
  readonly zdsSocketPath: string;
  readonly redirector: InpodRedirector;
  /** DNS capture for pods without the annotation (off until ztunnel has a DNS proxy). */
  readonly dnsCapture?: boolean;
  /** IPv6 rules: `auto` detects ::1 on the pod's loopback. */
  readonly ipv6?: "auto" | boolean;
  readonly retryIntervalMs?: number;
  readonly ackTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  /** Where the status dump is written after every pass (JSON). */
  readonly statusFile?: string;
}

/** One pod in the status dump. */
export interface PodStatus {
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly wanted: boolean;
  readonly rules: PodEntry["rules"];
  readonly ztunnel: PodEntry["zds"];
  readonly enrolled: boolean;
  readonly lastError?: string;
}

export interface NodeAgentStatus {
  readonly node: string;
  readonly ztunnelConnected: boolean;
  readonly generation: number;
  readonly pods: readonly PodStatus[];
}

export class NodeAgent {
  private readonly entries = new Map<string, PodEntry>();
  private readonly zds: ZdsServer;
  private generation = -1;
  private running: Promise<void> | undefined;
  private rerun = false;
  private timer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;
  private stopped = false;
  private readonly retryMs: number;

  constructor(private readonly opts: NodeAgentOptions) {
    this.retryMs = opts.retryIntervalMs ?? ZDS_RETRY_INTERVAL_MS;
    this.zds = new ZdsServer({
      socketPath: opts.zdsSocketPath,
      snapshot: () => this.snapshotPods(),
      onSnapshotAck: (uid, o) => this.recordAck(uid, o),
      onConnected: () => this.kick(),
      onDisconnected: () => {
        for (const e of this.entries.values()) e.zds = "absent";
        this.kick();
      },
      ...(opts.ackTimeoutMs !== undefined ? { ackTimeoutMs: opts.ackTimeoutMs } : {}),
    });
  }

  /**
   * Reconciles the pods already listed BEFORE ztunnel may connect: the first snapshot after an
   * agent restart must contain every pod whose rules are in place, or ztunnel would drop their
   * proxies as "not in snapshot".
   */
  async start(): Promise<void> {
    let initial: NodePodsFile | undefined;
    try {
      initial = await readPodsFile(this.opts.podsFile, this.opts.node);
      this.onPodsFile(initial);
      await this.idle();
    } catch (e) {
      log.warn("initial pods file unreadable; starting empty", { error: e });
    }
    await this.zds.start();
    this.stopWatch = watchPodsFile(
      this.opts.podsFile,
      this.opts.node,
      (f) => this.onPodsFile(f),
      this.opts.pollIntervalMs,
      initial?.generation,
    );
  }

  /** Stops watching and closes ZDS. In-pod rules stay in place (traffic keeps flowing). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopWatch?.();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.zds.stop();
    await this.writeStatus();
  }

  status(): NodeAgentStatus {
    const pods = [...this.entries.entries()].map(
      ([uid, e]): PodStatus => ({
        uid,
        name: e.record?.name ?? "",
        namespace: e.record?.namespace ?? "",
        wanted: wantsEnrolment(e.record),
        rules: e.rules,
        ztunnel: e.zds,
        enrolled: isEnrolled(e),
        ...(e.lastError !== undefined ? { lastError: e.lastError } : {}),
      }),
    );
    return { node: this.opts.node, ztunnelConnected: this.zds.connected, generation: this.generation, pods };
  }

  /** Resolves when no pass is running or pending (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private onPodsFile(f: NodePodsFile): void {
    this.generation = f.generation;
    const seen = new Set<string>();
    for (const rec of f.pods) {
      seen.add(rec.uid);
      const e = this.entries.get(rec.uid);
      if (e) {
        e.record = rec;
        e.netnsPath = rec.netnsPath;
      } else {
        this.entries.set(rec.uid, {
          record: rec,
          netnsPath: rec.netnsPath,
          rules: "unknown",
          zds: "absent",
          retryAt: 0,
        });
      }
    }
    for (const [uid, e] of this.entries) if (!seen.has(uid)) e.record = undefined;
    this.kick();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.rerun) {
        this.rerun = false;
        this.kick();
      }
    });
  }

  private async pass(): Promise<void> {
    for (const [uid, e] of [...this.entries]) {
      for (let i = 0; i < 6 && !this.stopped; i++) {
        const want = e.record && wantsEnrolment(e.record) ? await this.wantedConfig(e.record, e) : undefined;
        const changed =
          want !== undefined && e.config !== undefined && JSON.stringify(want) !== JSON.stringify(e.config);
        const step = planPod(e, Date.now(), this.zds.connected, changed);
        if (step === "wait" || step === "done") break;
        if (step === "forget") {
          this.entries.delete(uid);
          break;
        }
        await this.perform(step, uid, e, want);
      }
    }
    await this.writeStatus();
    this.scheduleRetry();
  }

  private async wantedConfig(rec: NodePodRecord, e: PodEntry): Promise<InpodRulesConfig> {
    let ipv6 = this.opts.ipv6 ?? "auto";
    if (ipv6 === "auto") {
      ipv6 = e.config?.ipv6 ?? (await this.opts.redirector.detectIpv6(rec.netnsPath).catch(() => false));
    }
    return rulesConfigFor(rec, { dnsCapture: this.opts.dnsCapture ?? false }, ipv6);
  }

  private async perform(
    step: string,
    uid: string,
    e: PodEntry,
    cfg: InpodRulesConfig | undefined,
  ): Promise<void> {
    const rec = e.record;
    try {
      switch (step) {
        case "install": {
          if (!rec || !cfg) return;
          const outcome = await this.opts.redirector.reconcile(rec.netnsPath, cfg);
          e.rules = "installed";
          e.config = cfg;
          delete e.lastError;
          log.info("in-pod rules in place", { uid, pod: `${rec.namespace}/${rec.name}`, outcome });
          break;
        }
        case "zds_add": {
          if (!rec) return;
          e.zds = "in_flight";
          this.recordAck(uid, await this.zds.add(zdsPod(uid, rec)));
          break;
        }
        case "uninstall": {
          if (!(await this.isCleanOrGone(e.netnsPath))) await this.opts.redirector.remove(e.netnsPath);
          e.rules = "absent";
          delete e.config;
          delete e.lastError;
          log.info("in-pod rules removed", { uid });
          break;
        }
        case "zds_del":
          e.zds = "in_flight";
          await this.zds.del(uid);
          e.zds = "absent";
          break;
        case "zds_forget":
          e.zds = "absent";
          break;
      }
    } catch (err) {
      if (e.zds === "in_flight") e.zds = step === "zds_del" ? "acked" : "absent";
      e.lastError = `${step}: ${errorMessage(err)}`;
      e.retryAt = Date.now() + this.retryMs;
      log.warn("pod step failed, will retry", { uid, step, error: err });
    }
  }

  private async isCleanOrGone(netns: string): Promise<boolean> {
    try {
      return await this.opts.redirector.isClean(netns);
    } catch {
      return false; // let remove() decide (it treats a vanished netns as clean)
    }
  }

  private snapshotPods(): ZdsPod[] {
    const out: ZdsPod[] = [];
    for (const [uid, e] of this.entries) {
      if (e.record && wantsEnrolment(e.record) && e.rules === "installed") {
        e.zds = "in_flight";
        out.push(zdsPod(uid, e.record));
      }
    }
    return out;
  }

  private recordAck(uid: string, o: ZdsOutcome): void {
    const e = this.entries.get(uid);
    if (!e) return;
    if (o.t === "ack") {
      e.zds = "acked";
      delete e.lastError;
      log.info("pod enrolled", { uid, pod: `${e.record?.namespace}/${e.record?.name}` });
    } else {
      e.zds = "nacked";
      e.lastError = `ztunnel: ${o.error}`;
      e.retryAt = Date.now() + this.retryMs;
      log.warn("ztunnel refused pod, will retry", { uid, error: o.error });
    }
    this.kick();
  }

  private scheduleRetry(): void {
    if (this.timer) clearTimeout(this.timer);
    const now = Date.now();
    const next = Math.min(
      ...[...this.entries.values()].map((e) => (e.retryAt > now ? e.retryAt : Number.POSITIVE_INFINITY)),
    );
    if (Number.isFinite(next) && !this.stopped) this.timer = setTimeout(() => this.kick(), next - now + 5);
  }

  private async writeStatus(): Promise<void> {
    const path = this.opts.statusFile;
    if (!path) return;
    try {
      await writeFile(`${path}.tmp`, `${JSON.stringify(this.status(), null, 2)}\n`);
      await rename(`${path}.tmp`, path);
    } catch (e) {
      log.warn("cannot write status file", { path, error: e });
    }
  }
}

function zdsPod(uid: string, rec: NodePodRecord): ZdsPod {
  return {
    uid,
    netnsPath: rec.netnsPath,
    info: { name: rec.name, namespace: rec.namespace, serviceAccount: rec.serviceAccount },
  };
}

import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createLogger } from "@ambit/core";
import {
  createClusterNetwork,
  createPodNetwork,
  deleteNetns,
  listNetns,
  removePodEtc,
  writePodEtc,
} from "../cluster/cluster-network.js";
import { assertCanRun } from "../exec/run.js";
import { readJson, writeAtomic } from "../fs-atomic.js";
import { LocalError } from "../local-error.js";
import type { AppliedObject } from "../manifest/manifest-types.js";
import { objectFromDocument } from "../manifest/parse-manifests.js";
import {
  type ClusterLayout,
  clusterLayout,
  findNode,
  podHostVeth,
  podNetnsName,
} from "../plan/cluster-layout.js";
import { desiredPods, type PodRecord, planPods } from "../plan/pod-plan.js";
import { planServices, type ServiceRecord } from "../plan/service-plan.js";
import { expandWaypoints } from "../plan/waypoint-plan.js";
import { renderPodHosts, renderPodResolvConf } from "../render/pod-etc-files.js";
import { type BackoffPolicy, Supervisor } from "../supervisor/supervisor.js";
import { publishForMesh, syncServiceRules } from "./cluster-sync.js";
import {
  type ComponentInstance,
  componentInstances,
  processEnv,
  waypointInstance,
} from "./component-processes.js";
import { type ComponentApp, type ComponentMain, resolveComponentMain } from "./components.js";
import { writeNodeCredential } from "./node-credentials.js";
import { podProcessName, podProcessSpecs } from "./pod-processes.js";
import { type ClusterInfo, type DesiredEntry, type StatePaths, statePaths } from "./state-dir.js";
import { type ClusterStatus, collectStatus } from "./status.js";
import { type TeardownReport, teardownCluster } from "./teardown.js";

const log = createLogger("local.runtime");

/** Progress lines for the user (`ambit up` prints them as they come). */
export type Progress = (line: string) => void;

export interface LocalRuntimeOptions {
  readonly stateDir: string;
  /** Used when the state dir has no cluster yet; default: 4 random hex digits. */
  readonly clusterId?: string;
  /** Node count for a new cluster (default 2); an existing cluster must match. */
  readonly nodes?: number;
  /** Restart policy for every supervised process (tests shorten it). */
  readonly backoff?: BackoffPolicy;
  /** Finds app mains (tests can report components as unavailable). */
  readonly resolveMain?: (app: ComponentApp) => ComponentMain;
}

/** runtime.json */
interface RuntimeState {
  pods: PodRecord[];
  services: ServiceRecord[];
  generations: Record<string, number>;
}

/**
 * The local cluster runtime: builds the namespaces, supervises the mesh components and the pods'
 * processes, and reconciles applied manifests into pods, VIPs, service NAT rules, hosts files, the
 * control plane's config dir and the node agents' pod lists. One instance per state dir (the
 * daemon); every operation is serialized.
 */
export class LocalRuntime {
  readonly paths: StatePaths;
  readonly layout: ClusterLayout;
  private readonly supervisor: Supervisor;
  private desired: AppliedObject[];
  private state: RuntimeState;
  private components: ComponentInstance[] = [];
  private started = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly nftApplied = new Map<string, string>();
  /** Why a component is not running although its main exists. */
  private readonly notes = new Map<string, string>();
  /** The waypoint main and the environment the components started with (waypoints get the same). */
  private waypointMain: ComponentMain | undefined;
  private componentEnv: Record<string, string> = {};

  private constructor(
    paths: StatePaths,
    info: ClusterInfo,
    private readonly opts: LocalRuntimeOptions,
  ) {
    this.paths = paths;
    this.layout = clusterLayout(info.id, info.nodes);
    this.supervisor = new Supervisor(paths.pidsDir, (name, ev) => log.info(ev, { process: name }));
    const entries = readJson<DesiredEntry[]>(paths.desiredFile) ?? [];
    this.desired = entries.map((e, i) =>
      objectFromDocument(e.raw, e.sourceDir, `desired.json entry ${i + 1}`),
    );
    this.state = readJson<RuntimeState>(paths.runtimeFile) ?? { pods: [], services: [], generations: {} };
  }

  /** Opens the state dir, creating cluster.json for a new cluster. */
  static open(opts: LocalRuntimeOptions): LocalRuntime {
    const paths = statePaths(opts.stateDir);
    mkdirSync(paths.root, { recursive: true });
    let info = readJson<ClusterInfo>(paths.clusterFile);
    if (info === undefined) {
      info = {
        id: opts.clusterId ?? randomBytes(2).toString("hex"),
        nodes: opts.nodes ?? 2,
        createdAt: new Date().toISOString(),
      };
      clusterLayout(info.id, info.nodes); // validates before anything is written
      writeAtomic(paths.clusterFile, JSON.stringify(info, null, 2));
    } else if (opts.nodes !== undefined && opts.nodes !== info.nodes) {
      throw new LocalError(
        "cluster_mismatch",
        `the cluster in ${paths.root} has ${info.nodes} nodes, not ${opts.nodes}: run 'ambit down' first to change it`,
      );
    }
    return new LocalRuntime(paths, info, opts);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Brings the cluster up (idempotent): network, components, then the given manifests. A runtime
   * that finds leftovers of a previous (crashed) runtime removes them first and rebuilds from the
   * desired state, keeping Service VIPs.
   */
  up(objects: readonly AppliedObject[], progress: Progress = () => undefined): Promise<void> {
    return this.serial(async () => {
      assertCanRun();
      if (!this.started) {
        if (listNetns().some((n) => n.startsWith(this.layout.prefix))) {
          progress("removing leftovers of a previous run");
          await teardownCluster(this.paths, this.layout.prefix, { keepState: true });
          this.state.pods = [];
          this.nftApplied.clear();
        }
        progress(
          `creating cluster ${this.layout.id}: ${this.layout.nodes.length} nodes (netns prefix ${this.layout.prefix})`,
        );
        await createClusterNetwork(this.layout);
        this.startComponents(progress);
        this.started = true;
      }
      await this.commit(merge(this.desired, objects), progress);
    });
  }

  /** Applies manifests (create or update); the cluster must be up. */
  apply(objects: readonly AppliedObject[], progress: Progress = () => undefined): Promise<void> {
    return this.serial(async () => {
      this.assertStarted();
      await this.commit(merge(this.desired, objects), progress);
    });
  }

  /** Deletes objects by key; returns keys that were not applied. */
  delete(keys: readonly string[], progress: Progress = () => undefined): Promise<string[]> {
    return this.serial(async () => {
      this.assertStarted();
      const gone = new Set(keys);
      const missing = keys.filter((k) => !this.desired.some((a) => a.key === k));
      await this.commit(
        this.desired.filter((a) => !gone.has(a.key)),
        progress,
      );
      return missing;
    });
  }

  status(): Promise<ClusterStatus> {
    return collectStatus({
      layout: this.layout,
      paths: this.paths,
      pods: this.state.pods,
      services: this.state.services,
      objects: this.desired,
      components: this.components,
      waypoints: this.state.pods.flatMap((p) => (p.waypoint !== undefined ? [this.waypointOf(p)] : [])),
      processes: this.supervisor.status(),
      notes: this.notes,
    });
  }

  /** Stops everything and removes every trace of the cluster (except logs). */
  down(progress: Progress = () => undefined): Promise<TeardownReport> {
    return this.serial(async () => {
      progress("stopping processes");
      await this.supervisor.stopAll(2000);
      progress("removing namespaces, links, rules and state");
      const report = await teardownCluster(this.paths, this.layout.prefix, { keepState: false });
      this.started = false;
      this.state = { pods: [], services: [], generations: {} };
      this.desired = [];
      return report;
    });
  }

  /** Stops every supervised process, leaving the network (daemon exit on a signal). */
  stopProcesses(): Promise<void> {
    return this.serial(() => this.supervisor.stopAll(2000));
  }

  private assertStarted(): void {
    if (!this.started) throw new LocalError("no_cluster", "the cluster is not up: run 'ambit up' first");
  }

  private startComponents(progress: Progress): void {
    this.components = componentInstances(this.layout, this.paths, this.opts.resolveMain, this.opts.backoff);
    this.componentEnv = processEnv();
    this.waypointMain = (this.opts.resolveMain ?? resolveComponentMain)("waypoint");
    const ztunnel = this.components.find((c) => c.app === "ztunnel");
    // Each node's ztunnel authenticates to the control plane (xDS + CA) with a bootstrap token.
    for (const n of this.layout.nodes) writeNodeCredential(this.paths.root, n.name);
    for (const c of this.components) {
      if (c.spec === undefined) {
        if (!c.main.available) progress(`${c.name}: NOT AVAILABLE — ${c.main.reason}`);
        continue;
      }
      if (c.app === "node-agent" && ztunnel !== undefined && !ztunnel.main.available) {
        // Enrolled pods' traffic would be redirected to ztunnel ports nobody listens on.
        const why = "not started: ztunnel is not available, so nothing could receive captured traffic";
        this.notes.set(c.name, why);
        progress(`${c.name}: ${why}`);
        continue;
      }
      this.supervisor.ensure(c.spec);
      progress(`${c.name}: started in ${c.netns}`);
    }
  }

  /** Validates the new desired state fully, then makes the cluster match it. */
  private async commit(objects: AppliedObject[], progress: Progress): Promise<void> {
    // Each waypoint Gateway brings a Service and a pod (plan/waypoint-plan.ts); its pod is placed
    // after the workload pods of the same change.
    const wp = expandWaypoints(objects);
    const services = planServices(wp.objects, this.state.services, this.layout);
    const plan = planPods([...desiredPods(objects), ...wp.pods], this.state.pods, this.layout, randomUUID);
    this.desired = objects;
    writeAtomic(
      this.paths.desiredFile,
      JSON.stringify(objects.map((a) => ({ raw: a.raw, sourceDir: a.sourceDir }) satisfies DesiredEntry)),
    );
    this.state.services = services;
    const kept = new Map(plan.keep.map((k) => [k.key, k]));
    this.state.pods = this.state.pods.map((p) => kept.get(p.key) ?? p);
    for (const p of plan.remove) {
      await this.removePod(p);
      this.state.pods = this.state.pods.filter((x) => x.key !== p.key);
      this.save();
      progress(`pod ${p.key} removed`);
    }
    for (const c of plan.create) {
      const rec: PodRecord = {
        ...c,
        netns: podNetnsName(this.layout, c.namespace, c.name),
        hostVeth: podHostVeth(c.uid),
      };
      try {
        await createPodNetwork(findNode(this.layout, rec.node), rec);
      } catch (err) {
        await deleteNetns(rec.netns).catch(() => undefined);
        throw err;
      }
      this.writeEtc(rec);
      for (const spec of podProcessSpecs(rec, this.paths, this.opts.backoff)) this.supervisor.ensure(spec);
      this.state.pods.push(rec);
      this.save();
      progress(`pod ${rec.key} on ${rec.node} at ${rec.ip}`);
      if (rec.waypoint !== undefined) this.startWaypoint(rec, progress);
    }
    for (const p of this.state.pods) this.writeEtc(p);
    await syncServiceRules(this.layout, this.state.services, this.state.pods, this.nftApplied);
    // A waypoint pod whose main cannot run is published Pending (never "Programmed").
    const pending = new Set(
      this.waypointMain?.available === true
        ? []
        : this.state.pods.filter((p) => p.waypoint !== undefined).map((p) => p.key),
    );
    publishForMesh(
      this.paths,
      this.layout,
      wp.objects,
      this.state.pods,
      this.state.services,
      this.state.generations,
      pending,
    );
    this.save();
  }

  private writeEtc(p: PodRecord): void {
    writePodEtc(
      p.netns,
      renderPodHosts(p, this.state.services),
      renderPodResolvConf(p.namespace, this.layout.dnsIp),
    );
  }

  private waypointOf(p: PodRecord): ComponentInstance {
    const main = this.waypointMain ?? {
      available: false as const,
      app: "waypoint" as const,
      reason: "components not started",
    };
    return waypointInstance(this.layout, this.paths, p, main, this.componentEnv, this.opts.backoff);
  }

  /** Starts the waypoint main in a new waypoint pod (or says why it cannot run). */
  private startWaypoint(p: PodRecord, progress: Progress): void {
    const w = this.waypointOf(p);
    if (w.spec === undefined) {
      if (!w.main.available) progress(`${w.name}: NOT AVAILABLE — ${w.main.reason}`);
      return;
    }
    this.supervisor.ensure(w.spec);
    progress(`${w.name}: started in ${w.netns}`);
  }

  private async removePod(p: PodRecord): Promise<void> {
    await Promise.all(p.containers.map((c) => this.supervisor.stop(podProcessName(p, c.name), 2000)));
    await deleteNetns(p.netns);
    removePodEtc(p.netns);
  }

  private save(): void {
    writeAtomic(this.paths.runtimeFile, JSON.stringify(this.state, null, 2));
  }
}

function merge(current: readonly AppliedObject[], incoming: readonly AppliedObject[]): AppliedObject[] {
  const m = new Map(current.map((a) => [a.key, a]));
  for (const a of incoming) m.set(a.key, a);
  return [...m.values()];
}

import type { ChildProcess, SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecResult, run, runInNetns, runSyncQuiet, spawnInNetns } from "./exec.js";
import { NetnsError } from "./netns-error.js";
import { removeStale } from "./remove-stale.js";
import {
  FAMILY_PREFIX,
  processStartTime,
  type RunState,
  readState,
  removeState,
  writeState,
} from "./run-state.js";

/** Linux limit for interface names (IFNAMSIZ - 1). */
const MAX_IFNAME = 15;

const live = new Set<NetnsHarness>();
let hooksInstalled = false;

/** One end of a veth pair: the namespace it lives in and its interface name there. */
export interface VethEnd {
  readonly ns: string;
  readonly name: string;
}

/**
 * Creates and tracks network namespaces for one test run. Every namespace carries the run prefix
 * (`amb-<4 hex>-`); links are created directly inside namespaces (never in the host namespace), so
 * deleting the namespaces removes everything and nothing can route to the host's interfaces.
 * The run is recorded in /run/ambit-test/<prefix>.json with the owner's pid so that
 * `removeStale()` can tell leftovers of a dead run from a concurrently running one.
 */
export class NetnsHarness {
  readonly prefix: string;
  private readonly state: RunState;
  private readonly children = new Set<ChildProcess>();
  private closed = false;

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.state = {
      prefix,
      pid: process.pid,
      startTime: processStartTime(process.pid) ?? "unknown",
      namespaces: [],
      links: [],
    };
  }

  /** Starts a run: checks root, removes stale leftovers, records the owner before creating anything. */
  static async create(opts: { removeStale?: boolean } = {}): Promise<NetnsHarness> {
    if (process.getuid?.() !== 0) {
      throw new NetnsError("not_root", "netns harness: network namespaces need root (CAP_SYS_ADMIN)");
    }
    if (opts.removeStale ?? true) await removeStale();
    let prefix: string;
    do prefix = `${FAMILY_PREFIX}${randomBytes(2).toString("hex")}-`;
    while (readState(prefix) !== undefined);
    const h = new NetnsHarness(prefix);
    writeState(h.state);
    live.add(h);
    installExitHooks();
    return h;
  }

  /** Full namespace name for a short role name (`nodeA` → `amb-1f0c-nodeA`). */
  name(role: string): string {
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(role))
      throw new NetnsError("invalid_name", `bad namespace role: ${role}`);
    return this.prefix + role;
  }

  /** Creates a namespace with loopback up; returns its full name. */
  async addNamespace(role: string): Promise<string> {
    this.assertOpen();
    const ns = this.name(role);
    this.state.namespaces.push(ns);
    writeState(this.state); // record first: a crash between the two steps still gets cleaned
    await run("ip", ["netns", "add", ns]);
    await this.ip(ns, ["link", "set", "lo", "up"]);
    return ns;
  }

  /** Path of a namespace's bind mount, as accepted by setns(2) callers (`@ambit/sockets`). */
  path(ns: string): string {
    return `/var/run/netns/${ns}`;
  }

  /** Runs `ip -n <ns> <args>`. */
  ip(ns: string, args: readonly string[]): Promise<ExecResult> {
    return run("ip", ["-n", ns, ...args]);
  }

  /** Creates a veth pair with each end directly in its namespace, both ends up. */
  async addVeth(a: VethEnd, b: VethEnd): Promise<void> {
    checkIfName(a.name);
    checkIfName(b.name);
    await run("ip", [
      "link",
      "add",
      a.name,
      "netns",
      a.ns,
      "type",
      "veth",
      "peer",
      "name",
      b.name,
      "netns",
      b.ns,
    ]);
    await this.ip(a.ns, ["link", "set", a.name, "up"]);
    await this.ip(b.ns, ["link", "set", b.name, "up"]);
  }

  /** Creates a bridge inside `ns`, up. */
  async addBridge(ns: string, name: string): Promise<void> {
    checkIfName(name);
    await this.ip(ns, ["link", "add", name, "type", "bridge"]);
    await this.ip(ns, ["link", "set", name, "up"]);
  }

  /** Enslaves `link` to `bridge` (both in `ns`). */
  async setMaster(ns: string, link: string, bridge: string): Promise<void> {
    await this.ip(ns, ["link", "set", link, "master", bridge]);
  }

  /** Adds an address in CIDR form (`10.0.0.1/24`, `fd00::1/64`). */
  async addAddress(ns: string, dev: string, cidr: string): Promise<void> {
    const v6 = cidr.includes(":");
    // nodad: IPv6 addresses are usable at once instead of after duplicate address detection.
    await this.ip(ns, ["addr", "add", cidr, "dev", dev, ...(v6 ? ["nodad"] : [])]);
  }

  /** Adds a route; `via` and/or `dev` as in `ip route add`. Extra args (`table 100`, …) pass through. */
  async addRoute(
    ns: string,
    dst: string,
    opts: { via?: string; dev?: string; extra?: readonly string[] } = {},
  ): Promise<void> {
    const args = ["route", "add", dst];
    if (opts.via !== undefined) args.push("via", opts.via);
    if (opts.dev !== undefined) args.push("dev", opts.dev);
    await this.ip(ns, [...args, ...(opts.extra ?? [])]);
  }

  /** Sets a per-namespace sysctl (`net.ipv4.ip_forward`) by writing /proc/sys inside the namespace. */
  async sysctl(ns: string, key: string, value: string): Promise<void> {
    if (!/^[a-z0-9_.]+$/.test(key)) throw new NetnsError("invalid_name", `bad sysctl key: ${key}`);
    const file = `/proc/sys/${key.replaceAll(".", "/")}`;
    await runInNetns(ns, ["sh", "-c", `echo "$1" > "${file}"`, "sh", value]);
  }

  /**
   * Loads an nft ruleset (nft syntax, several tables allowed) inside `ns`, atomically. Goes through
   * a temp file because `nft -f -` fails on Node's stdio pipes.
   */
  async nft(ns: string, ruleset: string): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), "amb-nft-"));
    try {
      await writeFile(join(dir, "rules.nft"), ruleset);
      await runInNetns(ns, ["nft", "-f", join(dir, "rules.nft")]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Runs a command to completion inside `ns`; rejects with its stderr. */
  exec(ns: string, args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return runInNetns(ns, args, opts);
  }

  /** Starts a process inside `ns`; it is killed (by pid) on cleanup if still running. */
  spawn(ns: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    this.assertOpen();
    const child = spawnInNetns(ns, args, opts);
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }

  /** Removes everything this run created: kills its children, deletes namespaces, drops the record. */
  async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    const waits: Promise<unknown>[] = [];
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        waits.push(new Promise((r) => c.once("exit", r)));
        c.kill("SIGKILL");
      }
    }
    await Promise.all(waits);
    const failures: string[] = [];
    for (const ns of [...this.state.namespaces].reverse()) {
      try {
        await run("ip", ["netns", "del", ns]);
      } catch (e) {
        if (!String((e as Error).message).includes("No such file")) failures.push((e as Error).message);
      }
    }
    if (failures.length > 0) throw new NetnsError("command_failed", `netns cleanup: ${failures.join("; ")}`);
    removeState(this.prefix);
  }

  /** Synchronous best-effort cleanup for process exit and signals. */
  cleanupSync(): void {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    for (const c of this.children) if (c.pid !== undefined && c.exitCode === null) c.kill("SIGKILL");
    for (const ns of [...this.state.namespaces].reverse()) runSyncQuiet("ip", ["netns", "del", ns]);
    removeState(this.prefix);
  }

  private assertOpen(): void {
    if (this.closed) throw new NetnsError("closed", `netns harness ${this.prefix} is already cleaned up`);
  }
}

function checkIfName(name: string): void {
  if (name.length === 0 || name.length > MAX_IFNAME || /[\s/:]/.test(name)) {
    throw new NetnsError("invalid_name", `bad interface name (1-${MAX_IFNAME} chars, no / : space): ${name}`);
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", () => {
    for (const h of [...live]) h.cleanupSync();
  });
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = (): void => {
      for (const h of [...live]) h.cleanupSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig); // re-raise: default action, correct exit status
    };
    process.on(sig, onSignal);
  }
}

/** Convenience for one test body: create a harness, run `fn`, always clean up (also when `fn` throws). */
export async function withNetns<T>(fn: (h: NetnsHarness) => Promise<T>): Promise<T> {
  const h = await NetnsHarness.create();
  try {
    return await fn(h);
  } finally {
    await h.cleanup();
  }
}

/**
 * node:test fixture: `const h = await useNetns(t)` gives a fresh harness whose namespaces are removed
 * when the test (or suite, with a `before` context) ends, pass or fail.
 */
export async function useNetns(t: { after(fn: () => unknown): void }): Promise<NetnsHarness> {
  const h = await NetnsHarness.create();
  t.after(() => h.cleanup());
  return h;
}

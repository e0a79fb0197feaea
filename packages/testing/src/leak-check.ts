import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import type { Server } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** The fds open in this process right now, fd number → link target (`socket:[123]`, a path, …). */
export function openFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync("/proc/self/fd")) {
    try {
      out.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // closed between readdir and readlink (the readdir's own fd, for one)
    }
  }
  return out;
}

/** Options for the fd comparison; libuv closes asynchronously, so the check polls for a while. */
export interface FdLeakOptions {
  /** How long fds may take to close (default 2000 ms). */
  timeoutMs?: number;
  /** Targets that do not count as leaks (e.g. lazily created runtime fds). */
  ignore?: RegExp;
}

/**
 * Fails when fds opened after `baseline` are still open once `timeoutMs` passed; the message
 * lists each leaked fd and what it points at, which usually names the culprit (`socket:[…]`).
 */
export async function assertNoLeakedFds(
  baseline: Map<number, string>,
  opts: FdLeakOptions = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 2000);
  for (;;) {
    const leaked = [...openFds()].filter(
      ([fd, target]) => baseline.get(fd) !== target && !(opts.ignore?.test(target) ?? false),
    );
    if (leaked.length === 0) return;
    if (Date.now() >= deadline) {
      assert.fail(`leaked ${leaked.length} fd(s): ${leaked.map(([fd, t]) => `${fd} -> ${t}`).join(", ")}`);
    }
    await sleep(20);
  }
}

/** The bits of node:test's TestContext the fixtures need (keeps them usable from any runner). */
export interface AfterHook {
  after(fn: () => unknown): void;
}

/**
 * Snapshots the fds now and checks them when the test ends (t.after), so a test fails when
 * sockets, servers or received fds stay open. Take it after one-time warm-up (first DNS lookup,
 * addon load) if those would otherwise show up as leaks.
 */
export function useLeakCheck(
  t: AfterHook,
  opts: FdLeakOptions = {},
): { readonly baseline: Map<number, string> } {
  const baseline = openFds();
  t.after(() => assertNoLeakedFds(baseline, opts));
  return { baseline };
}

/** Polls `server.getConnections()` until it is 0; fails with the remaining count after the timeout. */
export async function waitForNoConnections(server: Server, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await new Promise<number>((resolve, reject) =>
      server.getConnections((err, count) => (err ? reject(err) : resolve(count))),
    );
    if (n === 0) return;
    if (Date.now() >= deadline) assert.fail(`server still has ${n} open connection(s) after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * Registers `server` with the test: at the end it must have no open connections (checked first,
 * so a leaked client connection fails the test) and is then closed.
 */
export function useServer<S extends Server>(t: AfterHook, server: S, timeoutMs = 2000): S {
  t.after(async () => {
    try {
      await waitForNoConnections(server, timeoutMs);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  return server;
}

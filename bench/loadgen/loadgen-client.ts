import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { NetnsHarness } from "@ambit/testing";
import { BenchError } from "../bench-error.js";
import { trackGroup } from "../procs.js";
import type { LoadJob, LoadResult } from "./generator.js";

/** Parent-side handle of the load-generator worker process running in the client pod. */
export interface LoadgenClient {
  readonly pid: number;
  run(job: LoadJob, timeoutMs: number): Promise<LoadResult>;
  close(): Promise<void>;
}

/** Starts `bench/loadgen/worker.ts` inside `ns` and waits for its ready line. */
export async function startLoadgen(h: NetnsHarness, ns: string, repoRoot: string): Promise<LoadgenClient> {
  const worker = join(repoRoot, "bench", "loadgen", "worker.ts");
  const child: ChildProcess = h.spawn(ns, [process.execPath, "--import", "tsx", worker], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "inherit"],
    // Own session: with autogroup scheduling it gets its own CPU share instead of sharing the
    // harness's, and it is killed as a group on exit.
    detached: true,
  });
  if (child.pid === undefined || child.stdout === null || child.stdin === null) {
    throw new BenchError("scenario_failed", "load generator did not start");
  }
  const pid = child.pid;
  trackGroup(pid);
  const stdin = child.stdin;
  const waiting = new Map<number, (msg: { result?: LoadResult; error?: string }) => void>();
  let ready: () => void = () => undefined;
  const readyP = new Promise<void>((r) => {
    ready = r;
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    const msg = JSON.parse(line) as { id?: number; ready?: boolean; result?: LoadResult; error?: string };
    if (msg.ready === true) ready();
    else if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) =>
      reject(new BenchError("scenario_failed", `load generator exited (${code})`)),
    ),
  );
  exited.catch(() => undefined);
  await Promise.race([readyP, exited]);
  let seq = 0;
  return {
    pid,
    run(job, timeoutMs) {
      const id = ++seq;
      return Promise.race([
        exited,
        new Promise<LoadResult>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting.delete(id);
            reject(new BenchError("timeout", `load job ${job.mode} took over ${timeoutMs} ms`));
          }, timeoutMs);
          waiting.set(id, (msg) => {
            clearTimeout(timer);
            waiting.delete(id);
            if (msg.result !== undefined) resolve(msg.result);
            else
              reject(new BenchError("scenario_failed", `load job ${job.mode}: ${msg.error ?? "no result"}`));
          });
          stdin.write(`${JSON.stringify({ id, job })}\n`);
        }),
      ]);
    },
    async close() {
      stdin.end();
      await Promise.race([exited.catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

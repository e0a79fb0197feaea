import { chmodSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { CodedError, createLogger, errorMessage } from "@ambit/core";
import { assertCanRun } from "../exec/run.js";
import { readJson, writeAtomic } from "../fs-atomic.js";
import { LocalError } from "../local-error.js";
import { objectFromDocument } from "../manifest/parse-manifests.js";
import { type PidRecord, processStartTime, recordAlive } from "../supervisor/pid-records.js";
import type { ApplyRequest, DaemonEvent, DeleteRequest, UpRequest } from "./daemon-protocol.js";
import { LocalRuntime, type LocalRuntimeOptions } from "./local-runtime.js";
import { type DesiredEntry, statePaths } from "./state-dir.js";

const log = createLogger("local.daemon");
const MAX_BODY = 8 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on("data", (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new LocalError("invalid_argument", "request body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => {
      try {
        resolve(n === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (e) {
        reject(new LocalError("invalid_argument", `bad JSON body: ${errorMessage(e)}`));
      }
    });
    req.on("error", reject);
  });
}

function toObjects(entries: readonly DesiredEntry[] | undefined) {
  return (entries ?? []).map((e, i) => objectFromDocument(e.raw, e.sourceDir, `object ${i + 1}`));
}

/**
 * Runs the local-mode daemon in this process: owns the LocalRuntime of `stateDir`, serves the
 * control API on `<stateDir>/daemon.sock` (root-only), and supervises every process of the
 * cluster. SIGTERM/SIGINT stop the supervised processes and exit (the network stays; the next
 * `up` rebuilds it, `down` removes it). Resolves when the daemon has shut down.
 */
export async function runDaemon(opts: LocalRuntimeOptions): Promise<void> {
  assertCanRun();
  const paths = statePaths(opts.stateDir);
  const other = readJson<PidRecord>(paths.daemonFile);
  if (other !== undefined && other.pid !== process.pid && recordAlive(other)) {
    throw new LocalError("invalid_argument", `a daemon already runs for ${paths.root} (pid ${other.pid})`);
  }
  const runtime = LocalRuntime.open(opts);
  writeAtomic(
    paths.daemonFile,
    JSON.stringify({
      name: "daemon",
      pid: process.pid,
      startTime: processStartTime(process.pid) ?? "",
      argv: process.argv,
    }),
  );
  let closing = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });

  const stream = async (
    res: ServerResponse,
    work: (p: (line: string) => void) => Promise<unknown>,
  ): Promise<void> => {
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    const send = (ev: DaemonEvent): void => {
      res.write(JSON.stringify(ev) + "\n");
    };
    try {
      const value = await work((line) => send({ t: "progress", line }));
      send({ t: "result", value: value ?? null });
    } catch (e) {
      log.warn("operation failed", { err: e });
      send({
        t: "error",
        code: e instanceof CodedError ? String(e.code) : "internal",
        message: errorMessage(e),
      });
    }
    res.end();
  };

  const server = createServer((req, res) => {
    const route = `${req.method} ${req.url}`;
    void (async () => {
      try {
        if (route === "GET /ping") {
          res.end(JSON.stringify({ pid: process.pid, clusterId: runtime.layout.id }));
        } else if (route === "GET /status") {
          res.setHeader("content-type", "application/json");
          res.end(JSON.stringify(await runtime.status()));
        } else if (route === "POST /up") {
          const body = (await readBody(req)) as UpRequest;
          await stream(res, async (p) => {
            if (body.nodes !== undefined && body.nodes !== runtime.layout.nodes.length) {
              throw new LocalError(
                "cluster_mismatch",
                `the running cluster has ${runtime.layout.nodes.length} nodes, not ${body.nodes}: run 'ambit down' first`,
              );
            }
            await runtime.up(toObjects(body.objects), p);
          });
        } else if (route === "POST /apply") {
          const body = (await readBody(req)) as ApplyRequest;
          await stream(res, (p) => runtime.apply(toObjects(body.objects), p));
        } else if (route === "POST /delete") {
          const body = (await readBody(req)) as DeleteRequest;
          await stream(res, (p) => runtime.delete(body.keys ?? [], p));
        } else if (route === "POST /down") {
          await stream(res, (p) => runtime.down(p));
          shutdown();
        } else {
          res.statusCode = 404;
          res.end(JSON.stringify({ error: `no route ${route}` }));
        }
      } catch (e) {
        if (!res.headersSent) res.statusCode = 400;
        res.end(
          JSON.stringify({
            t: "error",
            code: e instanceof CodedError ? e.code : "internal",
            message: errorMessage(e),
          }),
        );
      }
    })();
  });

  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    server.close();
    rmSync(paths.socket, { force: true });
    rmSync(paths.daemonFile, { force: true });
    resolveDone();
  };
  const onSignal = (sig: string): void => {
    log.info("signal: stopping supervised processes", { sig });
    void runtime.stopProcesses().finally(shutdown);
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));

  rmSync(paths.socket, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(paths.socket, () => resolve());
  });
  chmodSync(paths.socket, 0o600);
  log.info("daemon listening", { socket: paths.socket, cluster: runtime.layout.id });
  await done;
}

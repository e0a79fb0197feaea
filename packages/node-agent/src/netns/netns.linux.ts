import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@ambit/core";
import { type ExecResult, type NetnsExec, wrapInNetns } from "./netns.js";
import { NetnsError } from "./netns-error.js";

const log = createLogger("node-agent.netns");

/** Per-command limit: nft/ip finish in milliseconds; a hang means something is badly wrong. */
const EXEC_TIMEOUT_MS = 10_000;

function run(argv: readonly string[]): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new NetnsError("invalid_path", "exec: empty command"));
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: EXEC_TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const killed = (err as { killed?: boolean }).killed === true;
          const code = killed ? "timeout" : "command_failed";
          reject(new NetnsError(code, `${argv.join(" ")}: ${stderr.trim() || err.message}`, { cause: err }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** The real exec layer (root only). */
export function createLinuxNetnsExec(): NetnsExec {
  const self: NetnsExec = {
    exists: (path) => existsSync(path),
    async exec(path, argv) {
      if (!path.startsWith("/") || path.includes("\0"))
        throw new NetnsError("invalid_path", `bad netns path: ${path}`);
      if (!existsSync(path)) throw new NetnsError("netns_missing", `netns ${path} does not exist`);
      log.debug("exec", { netns: path, argv });
      return run(wrapInNetns(path, argv));
    },
    async nftApply(path, script) {
      const dir = await mkdtemp(join(tmpdir(), "ambit-nft-"));
      const file = join(dir, "ruleset.nft");
      try {
        await writeFile(file, script, { mode: 0o600 });
        await self.exec(path, ["nft", "-f", file]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
  return self;
}

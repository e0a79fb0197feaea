import { type ChildProcess, execFile, type SpawnOptions, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { LocalError } from "../local-error.js";

/** Output of a finished command. */
export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command without a shell (arguments are never re-parsed) and rejects with a
 * `command_failed` LocalError quoting the command line and its stderr, so a failed `ip`/`nft`
 * call explains itself to the user.
 */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) {
          const detail = stderr.trim() || err.message;
          reject(new LocalError("command_failed", `${cmd} ${args.join(" ")}: ${detail}`, { cause: err }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Runs `ip -n <ns> <args>`. */
export function ipIn(ns: string, args: readonly string[]): Promise<RunResult> {
  return run("ip", ["-n", ns, ...args]);
}

/** Runs a command inside a named netns (`ip netns exec`, which also bind-mounts /etc/netns/<ns>/*). */
export function runInNetns(
  ns: string,
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<RunResult> {
  return run("ip", ["netns", "exec", ns, ...args], opts);
}

/**
 * Starts a long-running process inside `ns`. `ip netns exec` replaces itself with the command
 * (execvp), so the child's pid is the command's pid. The child leads its own process group
 * (`detached`) so stopping it can signal the whole group, including grandchildren.
 */
export function spawnInNetns(
  ns: string | undefined,
  argv: readonly string[],
  opts: SpawnOptions,
): ChildProcess {
  const [cmd, ...rest] = argv;
  if (cmd === undefined) throw new LocalError("invalid_argument", "spawn: empty command");
  if (ns === undefined) return spawn(cmd, rest, { ...opts, detached: true });
  return spawn("ip", ["netns", "exec", ns, cmd, ...rest], { ...opts, detached: true });
}

/** Full path of an executable found on PATH (or in the sbin dirs root usually has), else undefined. */
export function which(cmd: string, searchPath?: readonly string[]): string | undefined {
  const dirs = searchPath ?? [
    ...(process.env["PATH"] ?? "").split(delimiter),
    "/usr/sbin",
    "/sbin",
    "/usr/local/sbin",
  ];
  for (const d of dirs) {
    if (d === "") continue;
    const p = join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Tools the runtime execs; `scripts/setup-system.sh` installs them. */
export const REQUIRED_TOOLS = ["ip", "nft"] as const;

/**
 * Fails fast, before anything is created, when the runtime cannot work: not root, or `ip`/`nft`
 * missing (names them and points at the setup script).
 */
export function assertCanRun(opts: { readonly searchPath?: readonly string[] } = {}): void {
  if (process.getuid?.() !== 0) {
    throw new LocalError(
      "not_root",
      "ambit local mode needs root: it creates network namespaces, veth links and nftables rules. Run it with sudo.",
    );
  }
  const missing = REQUIRED_TOOLS.filter((t) => which(t, opts.searchPath) === undefined);
  if (missing.length > 0) {
    throw new LocalError(
      "missing_tool",
      `missing system tools: ${missing.join(", ")} (install them with: sudo scripts/setup-system.sh)`,
    );
  }
}

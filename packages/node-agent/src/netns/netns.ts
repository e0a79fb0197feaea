/**
 * The exec boundary of the node agent: everything that runs a program inside a pod's network
 * namespace goes through {@link NetnsExec}. `netns.linux.ts` really execs; `netns.fake.ts`
 * records calls for golden tests that need no root.
 */

/** Output of a finished command. */
export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface NetnsExec {
  /** Runs `argv` inside the netns at `netnsPath`; rejects with a `NetnsError` on failure. */
  exec(netnsPath: string, argv: readonly string[]): Promise<ExecResult>;
  /**
   * Runs `nft -f <file>` with `script` as the file's content. A file, not stdin: `nft -f -`
   * fails when its stdin is a Node stdio pipe.
   */
  nftApply(netnsPath: string, script: string): Promise<void>;
  /** Whether the netns still exists (a deleted pod's path disappears). */
  exists(netnsPath: string): boolean;
}

/** `/var/run/netns/<name>` or `/run/netns/<name>` → `<name>` (usable with `ip netns exec`). */
export function namedNetns(path: string): string | undefined {
  const m = /^\/(?:var\/)?run\/netns\/([A-Za-z0-9_.-]+)$/.exec(path);
  return m?.[1];
}

/** The host-side command that runs `argv` inside the netns at `path`. */
export function wrapInNetns(path: string, argv: readonly string[]): string[] {
  const name = namedNetns(path);
  if (name !== undefined) return ["ip", "netns", "exec", name, ...argv];
  return ["nsenter", `--net=${path}`, "--", ...argv];
}

import type { ExecResult, NetnsExec } from "./netns.js";
import { NetnsError } from "./netns-error.js";

/** One recorded call of the fake exec layer. */
export type FakeCall =
  | { readonly kind: "exec"; readonly netns: string; readonly argv: readonly string[] }
  | { readonly kind: "nft"; readonly netns: string; readonly script: string };

/**
 * Records every command instead of running it (Istio's `DependenciesStub`): golden tests of the
 * apply/remove/reconcile command sequences need no root. `respond` scripts the output of reads
 * (`nft -j list ruleset`, `ip -j rule show`, …) and may throw to simulate failures.
 */
export class FakeNetnsExec implements NetnsExec {
  readonly calls: FakeCall[] = [];
  readonly missing = new Set<string>();
  constructor(private readonly respond: (netns: string, argv: readonly string[]) => string = () => "") {}

  exists(path: string): boolean {
    return !this.missing.has(path);
  }

  async exec(netns: string, argv: readonly string[]): Promise<ExecResult> {
    if (this.missing.has(netns)) throw new NetnsError("netns_missing", `netns ${netns} does not exist`);
    this.calls.push({ kind: "exec", netns, argv: [...argv] });
    return { stdout: this.respond(netns, argv), stderr: "" };
  }

  async nftApply(netns: string, script: string): Promise<void> {
    if (this.missing.has(netns)) throw new NetnsError("netns_missing", `netns ${netns} does not exist`);
    this.calls.push({ kind: "nft", netns, script });
  }

  /** The calls as text, one per line (nft scripts inlined), for golden files. */
  transcript(): string {
    return this.calls
      .map((c) =>
        c.kind === "exec" ? `[${c.netns}] ${c.argv.join(" ")}` : `[${c.netns}] nft -f <<EOF\n${c.script}EOF`,
      )
      .join("\n");
  }
}

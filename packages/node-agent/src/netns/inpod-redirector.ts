/**
 * Installs, checks and removes one pod's redirection (nft tables + policy routing) through the
 * {@link NetnsExec} boundary. The decisions (what the ruleset is, whether it drifted) come from
 * the pure `rules/` module; this class only sequences commands.
 *
 * Order on apply: policy routing first (harmless on its own), then the nft transaction, so that the
 * moment capture starts, replies to ztunnel's spoofed connections already route back to it.
 */
import { createLogger } from "@ambit/core";
import {
  buildInpodRuleset,
  buildPolicyRouting,
  diffInstalled,
  INPOD_TABLES,
  type InpodRulesConfig,
  noneInstalled,
  observePolicyRouting,
  parseNftRuleset,
  renderApplyScript,
  renderRemoveScript,
} from "../rules/index.js";
import type { NetnsExec } from "./netns.js";
import { NetnsError } from "./netns-error.js";

const log = createLogger("node-agent.redirector");

/** What a reconcile did to one pod. */
export type ReconcileOutcome = "unchanged" | "repaired";

/** What is installed in a pod, relative to the desired state. */
export interface InstalledState {
  /** Differences of the nft tables (empty = exactly as desired). */
  readonly nftDrift: readonly string[];
  /** Families whose fwmark rule / local route is missing, e.g. `["-4 rule", "-6 route"]`. */
  readonly routingMissing: readonly string[];
}

const OWNED = Object.values(INPOD_TABLES);

function isExists(e: unknown): boolean {
  return e instanceof NetnsError && /File exists/i.test(e.message);
}
function isAbsent(e: unknown): boolean {
  return e instanceof NetnsError && /No such file|No such process|not found|Cannot find/i.test(e.message);
}

export class InpodRedirector {
  constructor(private readonly exec: NetnsExec) {}

  /** Whether the pod's loopback has IPv6 (then v6 rules and routes are installed too). */
  async detectIpv6(netns: string): Promise<boolean> {
    const { stdout } = await this.exec.exec(netns, ["ip", "-j", "-6", "addr", "show", "dev", "lo"]);
    return /"local"\s*:\s*"::1"/.test(stdout);
  }

  /** Reads the installed state and compares it with `cfg`'s desired state. */
  async inspect(netns: string, cfg: InpodRulesConfig): Promise<InstalledState> {
    const { stdout } = await this.exec.exec(netns, ["nft", "-j", "list", "ruleset"]);
    const nftDrift = diffInstalled(buildInpodRuleset(cfg), parseNftRuleset(stdout));
    const routingMissing: string[] = [];
    for (const p of buildPolicyRouting(cfg.ipv6)) {
      const rules = await this.exec.exec(netns, ["ip", ...p.showRules]);
      // An IPv4 table that never had a route does not exist at all: that is "missing", not an error.
      const routes = await this.exec.exec(netns, ["ip", ...p.showRoutes]).catch((e: unknown) => {
        if (e instanceof NetnsError && /FIB table does not exist/.test(e.message))
          return { stdout: "[]", stderr: "" };
        throw e;
      });
      const seen = observePolicyRouting(rules.stdout, routes.stdout);
      if (!seen.rule) routingMissing.push(`${p.family} rule`);
      if (!seen.route) routingMissing.push(`${p.family} route`);
    }
    return { nftDrift, routingMissing };
  }

  /** Installs everything (idempotent; replaces any previous ambit tables atomically). */
  async apply(netns: string, cfg: InpodRulesConfig): Promise<void> {
    for (const p of buildPolicyRouting(cfg.ipv6)) {
      await this.tolerate(netns, p.addRule, isExists);
      await this.tolerate(netns, p.addRoute, isExists);
    }
    await this.exec.nftApply(netns, renderApplyScript(buildInpodRuleset(cfg)));
  }

  /**
   * Makes the pod match `cfg`, touching only what differs: a correct ruleset is not rewritten
   * (no flush, no window without capture), missing routing entries are added one by one.
   */
  async reconcile(netns: string, cfg: InpodRulesConfig): Promise<ReconcileOutcome> {
    const st = await this.inspect(netns, cfg);
    if (st.nftDrift.length === 0 && st.routingMissing.length === 0) return "unchanged";
    log.info("repairing in-pod rules", { netns, nftDrift: st.nftDrift, routingMissing: st.routingMissing });
    for (const p of buildPolicyRouting(cfg.ipv6)) {
      if (st.routingMissing.includes(`${p.family} rule`)) await this.tolerate(netns, p.addRule, isExists);
      if (st.routingMissing.includes(`${p.family} route`)) await this.tolerate(netns, p.addRoute, isExists);
    }
    if (st.nftDrift.length > 0) await this.exec.nftApply(netns, renderApplyScript(buildInpodRuleset(cfg)));
    return "repaired";
  }

  /**
   * Removes every trace (both families' routing regardless of `cfg`, every ambit table). A netns
   * that no longer exists counts as clean: the kernel dropped its rules with it.
   */
  async remove(netns: string): Promise<void> {
    if (!this.exec.exists(netns)) return;
    await this.exec.nftApply(netns, renderRemoveScript(OWNED));
    for (const p of buildPolicyRouting(true)) {
      await this.tolerate(netns, p.delRule, isAbsent);
      await this.tolerate(netns, p.delRoute, isAbsent);
    }
  }

  /** True when none of ambit's tables is installed (used by tests and the status dump). */
  async isClean(netns: string): Promise<boolean> {
    const { stdout } = await this.exec.exec(netns, ["nft", "-j", "list", "ruleset"]);
    return noneInstalled(OWNED, parseNftRuleset(stdout));
  }

  private async tolerate(netns: string, argv: readonly string[], ok: (e: unknown) => boolean): Promise<void> {
    try {
      await this.exec.exec(netns, ["ip", ...argv]);
    } catch (e) {
      if (!ok(e)) throw e;
    }
  }
}

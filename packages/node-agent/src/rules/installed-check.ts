/**
 * Drift check for reconcile: compares the desired ruleset with what `nft -j list ruleset` shows
 * in the pod. Rules are matched by their comment (the rule id; the fingerprint on the nat jump
 * covers rule bodies and config), chains by name and hook. An empty drift list means "leave it
 * alone" — the agent never rewrites a correct ruleset, so live connections are not disturbed.
 */
import type { InpodRuleset } from "./inpod-ruleset.js";
import { RulesError } from "./rules-error.js";

/** What the kernel holds for ambit's tables, reduced to what the check compares. */
export interface ObservedChain {
  readonly hook?: { readonly type: string; readonly hook: string; readonly priority: number };
  readonly ruleIds: readonly string[];
}
export type ObservedNft = ReadonlyMap<string, ReadonlyMap<string, ObservedChain>>;

/** Parses `nft -j list ruleset` (inet tables only). Throws `bad_nft_json` on other input. */
export function parseNftRuleset(json: string): ObservedNft {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new RulesError("bad_nft_json", `nft -j output: ${(e as Error).message}`, { cause: e });
  }
  const items = (doc as { nftables?: unknown } | null)?.nftables;
  if (!Array.isArray(items)) throw new RulesError("bad_nft_json", "nft -j output: no nftables array");
  interface MutableChain {
    hook?: ObservedChain["hook"];
    ruleIds: string[];
  }
  const tables = new Map<string, Map<string, MutableChain>>();
  const chainOf = (t: string, c: string): MutableChain => {
    const tm = tables.get(t) ?? new Map<string, MutableChain>();
    tables.set(t, tm);
    const cm = tm.get(c) ?? { ruleIds: [] };
    tm.set(c, cm);
    return cm;
  };
  for (const item of items as Record<string, Record<string, unknown> | undefined>[]) {
    const t = item["table"];
    if (t && t["family"] === "inet" && typeof t["name"] === "string" && !tables.has(t["name"])) {
      tables.set(t["name"], new Map());
    }
    const c = item["chain"];
    if (c && c["family"] === "inet" && typeof c["table"] === "string" && typeof c["name"] === "string") {
      const ch = chainOf(c["table"], c["name"]);
      if (typeof c["hook"] === "string") {
        ch.hook = { type: String(c["type"]), hook: c["hook"], priority: Number(c["prio"]) };
      }
    }
    const r = item["rule"];
    if (r && r["family"] === "inet" && typeof r["table"] === "string" && typeof r["chain"] === "string") {
      chainOf(r["table"], r["chain"]).ruleIds.push(typeof r["comment"] === "string" ? r["comment"] : "");
    }
  }
  return tables as ObservedNft;
}

/** Human-readable differences; empty when the installed state is exactly the desired one. */
export function diffInstalled(want: InpodRuleset, have: ObservedNft): string[] {
  const drift: string[] = [];
  const wanted = new Set(want.tables.map((t) => t.name));
  for (const name of want.ownedTables) {
    if (!wanted.has(name) && have.has(name)) drift.push(`table ${name}: present but not wanted`);
  }
  for (const t of want.tables) {
    const ht = have.get(t.name);
    if (!ht) {
      drift.push(`table ${t.name}: missing`);
      continue;
    }
    const wantChains = new Set(t.chains.map((c) => c.name));
    for (const name of ht.keys())
      if (!wantChains.has(name)) drift.push(`chain ${t.name}/${name}: unexpected`);
    for (const c of t.chains) {
      const hc = ht.get(c.name);
      if (!hc) {
        drift.push(`chain ${t.name}/${c.name}: missing`);
        continue;
      }
      const wh = c.hook;
      const hh = hc.hook;
      if (wh?.type !== hh?.type || wh?.hook !== hh?.hook || wh?.priority !== hh?.priority) {
        drift.push(
          `chain ${t.name}/${c.name}: hook ${JSON.stringify(hh ?? null)}, want ${JSON.stringify(wh ?? null)}`,
        );
      }
      const ids = c.rules.map((r) => r.id);
      if (ids.join("\n") !== hc.ruleIds.join("\n")) {
        drift.push(`chain ${t.name}/${c.name}: rules [${hc.ruleIds.join(",")}], want [${ids.join(",")}]`);
      }
    }
  }
  return drift;
}

/** True when none of ambit's tables is present (after removal). */
export function noneInstalled(owned: readonly string[], have: ObservedNft): boolean {
  return owned.every((n) => !have.has(n));
}

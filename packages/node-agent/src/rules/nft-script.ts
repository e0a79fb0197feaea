/**
 * Renders a ruleset as one `nft -f` transaction. nft applies a file atomically: either the whole
 * new state is committed or nothing changes, so a pod never sees half a ruleset.
 *
 * Replacing: `add table` (no-op when it exists) followed by `delete table` clears any previous
 * version without failing when there was none; the new tables follow in the same transaction.
 */
import type { InpodRuleset, NftChain, NftTable } from "./inpod-ruleset.js";

function chainText(c: NftChain): string {
  const lines = [`\tchain ${c.name} {`];
  if (c.hook)
    lines.push(`\t\ttype ${c.hook.type} hook ${c.hook.hook} priority ${c.hook.priority}; policy accept;`);
  for (const r of c.rules) lines.push(`\t\t${r.expr} comment "${r.id}"`);
  lines.push("\t}");
  return lines.join("\n");
}

/** The nft text of one table (as `nft list` would show it, modulo kernel normalisation). */
export function renderTable(t: NftTable): string {
  return [
    `table ${t.family} ${t.name} {`,
    '\tcomment "managed by the ambit node agent"',
    ...t.chains.map(chainText),
    "}",
  ].join("\n");
}

function clearOwned(owned: readonly string[]): string[] {
  return owned.flatMap((name) => [`add table inet ${name}`, `delete table inet ${name}`]);
}

/** Transaction that replaces whatever ambit tables exist with exactly `rs`. */
export function renderApplyScript(rs: InpodRuleset): string {
  return [
    `# ambit in-pod ruleset ${rs.fingerprint}`,
    ...clearOwned(rs.ownedTables),
    ...rs.tables.map(renderTable),
    "",
  ].join("\n");
}

/** Transaction that removes every ambit table (idempotent: succeeds when none exist). */
export function renderRemoveScript(owned: readonly string[]): string {
  return ["# ambit in-pod ruleset removal", ...clearOwned(owned), ""].join("\n");
}

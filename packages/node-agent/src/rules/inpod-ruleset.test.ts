import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertGolden } from "./golden.test-util.js";
import {
  buildInpodRuleset,
  buildPolicyRouting,
  DEFAULT_INPOD_RULES_CONFIG,
  diffInstalled,
  INPOD_TABLES,
  type InpodRuleset,
  noneInstalled,
  observePolicyRouting,
  parseNftRuleset,
  RulesError,
  renderApplyScript,
  renderRemoveScript,
} from "./index.js";

const golden = (name: string) => new URL(`./testdata/${name}.golden`, import.meta.url).pathname;

const CASES = {
  default: DEFAULT_INPOD_RULES_CONFIG,
  "ipv4-only": { ...DEFAULT_INPOD_RULES_CONFIG, ipv6: false },
  dns: { ...DEFAULT_INPOD_RULES_CONFIG, dnsCapture: true },
  "dns-ipv4-only": { ...DEFAULT_INPOD_RULES_CONFIG, ipv6: false, dnsCapture: true },
  ingress: { ...DEFAULT_INPOD_RULES_CONFIG, bypassInboundCapture: true },
};

/** The `nft -j list ruleset` document the kernel would show for `rs` (structure only). */
function asNftJson(rs: InpodRuleset): string {
  const items: unknown[] = [{ metainfo: { version: "1.0.6" } }];
  for (const t of rs.tables) {
    items.push({ table: { family: "inet", name: t.name, handle: 1 } });
    for (const c of t.chains) {
      const h = c.hook
        ? { type: c.hook.type, hook: c.hook.hook, prio: c.hook.priority, policy: "accept" }
        : {};
      items.push({ chain: { family: "inet", table: t.name, name: c.name, handle: 2, ...h } });
    }
    for (const c of t.chains) {
      for (const r of c.rules)
        items.push({ rule: { family: "inet", table: t.name, chain: c.name, comment: r.id, expr: [] } });
    }
  }
  return JSON.stringify({ nftables: items });
}

describe("in-pod ruleset rendering", () => {
  for (const [name, cfg] of Object.entries(CASES)) {
    it(`matches ${name}.golden`, () => {
      const rs = buildInpodRuleset(cfg);
      const routing = buildPolicyRouting(cfg.ipv6)
        .flatMap((p) => [p.addRule, p.addRoute])
        .map((a) => `ip ${a.join(" ")}`);
      assertGolden(golden(name), `${renderApplyScript(rs)}\n# policy routing\n${routing.join("\n")}\n`);
    });
  }

  it("keeps the semantics of wire-spec §5.2 in the default ruleset", () => {
    const script = renderApplyScript(buildInpodRuleset(DEFAULT_INPOD_RULES_CONFIG));
    assert.match(
      script,
      /ip daddr != 127\.0\.0\.1\/32 tcp dport != 15008 meta mark & 0xfff != 0x539 redirect to :15006/,
    );
    assert.match(
      script,
      /ip6 daddr != ::1\/128 meta l4proto tcp meta mark & 0xfff != 0x539 redirect to :15001/,
    );
    assert.match(script, /ip saddr 169\.254\.7\.127 meta l4proto tcp accept/);
    assert.match(script, /meta mark & 0xfff == 0x539 ct mark set ct mark & 0xfffff000 \| 0x111/);
    assert.match(script, /ct mark & 0xfff == 0x111 meta mark set ct mark/);
    assert.doesNotMatch(script, /15053/);
    assert.doesNotMatch(script, /^table inet istio-ambient-raw/m);
    // The raw table is still cleared so that turning DNS capture off removes it.
    assert.match(script, /delete table inet istio-ambient-raw/);
  });

  it("fingerprints differ between configs and are stable", () => {
    const fps = Object.values(CASES).map((c) => buildInpodRuleset(c).fingerprint);
    assert.equal(new Set(fps).size, fps.length);
    assert.equal(buildInpodRuleset(CASES.dns).fingerprint, buildInpodRuleset({ ...CASES.dns }).fingerprint);
  });

  it("removal clears every owned table idempotently", () => {
    const s = renderRemoveScript(Object.values(INPOD_TABLES));
    for (const t of Object.values(INPOD_TABLES))
      assert.match(s, new RegExp(`add table inet ${t}\ndelete table inet ${t}`));
  });
});

describe("installed-state check", () => {
  const want = buildInpodRuleset(DEFAULT_INPOD_RULES_CONFIG);

  it("finds no drift in an exact copy", () => {
    assert.deepEqual(diffInstalled(want, parseNftRuleset(asNftJson(want))), []);
  });

  it("reports missing tables, changed config, extra tables and reordered rules", () => {
    assert.deepEqual(diffInstalled(want, parseNftRuleset(JSON.stringify({ nftables: [] }))), [
      `table ${INPOD_TABLES.nat}: missing`,
      `table ${INPOD_TABLES.mangle}: missing`,
    ]);
    const dns = buildInpodRuleset(CASES.dns);
    const d = diffInstalled(want, parseNftRuleset(asNftJson(dns)));
    assert.ok(d.includes(`table ${INPOD_TABLES.raw}: present but not wanted`), d.join("; "));
    assert.ok(d.some((x) => x.startsWith(`chain ${INPOD_TABLES.nat}/istio-output: rules`)));
    assert.ok(
      d.some((x) => x.startsWith(`chain ${INPOD_TABLES.nat}/prerouting: rules`)),
      "fingerprint drift",
    );
    const doc = JSON.parse(asNftJson(want)) as { nftables: Record<string, Record<string, unknown>>[] };
    const rules = doc.nftables.filter((i) => i["rule"]?.["chain"] === "istio-output");
    const [a, b] = [rules[0], rules[1]];
    if (!a?.["rule"] || !b?.["rule"]) throw new Error("fixture");
    [a["rule"]["comment"], b["rule"]["comment"]] = [b["rule"]["comment"], a["rule"]["comment"]];
    assert.equal(diffInstalled(want, parseNftRuleset(JSON.stringify(doc))).length, 1);
  });

  it("noneInstalled ignores foreign tables", () => {
    const foreign = JSON.stringify({ nftables: [{ table: { family: "inet", name: "other", handle: 1 } }] });
    assert.equal(noneInstalled(Object.values(INPOD_TABLES), parseNftRuleset(foreign)), true);
    assert.equal(noneInstalled(Object.values(INPOD_TABLES), parseNftRuleset(asNftJson(want))), false);
  });

  it("rejects output that is not nft/ip JSON", () => {
    const isCode = (c: string) => (e: unknown) => e instanceof RulesError && e.code === c;
    assert.throws(() => parseNftRuleset("table inet x {}"), isCode("bad_nft_json"));
    assert.throws(() => parseNftRuleset("{}"), isCode("bad_nft_json"));
    assert.throws(() => observePolicyRouting("nope", "[]"), isCode("bad_ip_json"));
    assert.throws(() => observePolicyRouting("{}", "[]"), isCode("bad_ip_json"));
  });

  it("recognises the policy-routing entries in ip -j output", () => {
    const rules =
      '[{"priority":0,"src":"all","table":"local"},{"priority":32764,"src":"all","fwmark":"0x111","fwmask":"0xfff","table":"100"}]';
    const routes = '[{"type":"local","dst":"default","dev":"lo","scope":"host","flags":[]}]';
    assert.deepEqual(observePolicyRouting(rules, routes), { rule: true, route: true });
    assert.deepEqual(
      observePolicyRouting('[{"priority":32764,"fwmark":"0x222","fwmask":"0xfff","table":"100"}]', ""),
      {
        rule: false,
        route: false,
      },
    );
  });
});

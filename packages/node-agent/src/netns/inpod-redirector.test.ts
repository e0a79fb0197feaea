import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertGolden } from "../rules/golden.test-util.js";
import { buildInpodRuleset, DEFAULT_INPOD_RULES_CONFIG, type InpodRuleset } from "../rules/index.js";
import { InpodRedirector } from "./inpod-redirector.js";
import { FakeNetnsExec } from "./netns.fake.js";
import { namedNetns, wrapInNetns } from "./netns.js";
import { NetnsError } from "./netns-error.js";

const golden = (name: string) => new URL(`./testdata/${name}.golden`, import.meta.url).pathname;
const POD = "/var/run/netns/pod-a";
const cfg = DEFAULT_INPOD_RULES_CONFIG;

function nftJson(rs: InpodRuleset): string {
  const items: unknown[] = [];
  for (const t of rs.tables) {
    items.push({ table: { family: "inet", name: t.name } });
    for (const c of t.chains) {
      const h = c.hook ? { type: c.hook.type, hook: c.hook.hook, prio: c.hook.priority } : {};
      items.push({ chain: { family: "inet", table: t.name, name: c.name, ...h } });
      for (const r of c.rules)
        items.push({ rule: { family: "inet", table: t.name, chain: c.name, comment: r.id } });
    }
  }
  return JSON.stringify({ nftables: items });
}
const RULE = '[{"priority":32764,"fwmark":"0x111","fwmask":"0xfff","table":"100"}]';
const ROUTE = '[{"type":"local","dst":"default","dev":"lo"}]';

/** A fake pod whose reads show a complete, correct installation (optionally without v6 route). */
function installed(opts: { v6Route?: boolean; nft?: string } = {}) {
  return (_ns: string, argv: readonly string[]): string => {
    const a = argv.join(" ");
    if (argv[0] !== "nft" && argv[0] !== "ip") throw new Error(`not a command: ${a}`);
    if (a === "nft -j list ruleset") return opts.nft ?? nftJson(buildInpodRuleset(cfg));
    if (a.includes("rule show")) return RULE;
    if (a.includes("-6 route show")) return opts.v6Route === false ? "[]" : ROUTE;
    if (a.includes("route show")) return ROUTE;
    return "";
  };
}

describe("InpodRedirector command sequences", () => {
  it("apply: policy routing, then one nft transaction", async () => {
    const fx = new FakeNetnsExec();
    await new InpodRedirector(fx).apply(POD, cfg);
    assertGolden(golden("apply"), `${fx.transcript()}\n`);
    assert.equal(fx.calls.at(-1)?.kind, "nft");
  });

  it("reconcile leaves a correct installation untouched (reads only)", async () => {
    const fx = new FakeNetnsExec(installed());
    assert.equal(await new InpodRedirector(fx).reconcile(POD, cfg), "unchanged");
    assert.ok(
      fx.calls.every((c) => c.kind === "exec" && (c.argv.includes("show") || c.argv.includes("list"))),
    );
  });

  it("reconcile adds only what is missing", async () => {
    const fx = new FakeNetnsExec(installed({ v6Route: false }));
    assert.equal(await new InpodRedirector(fx).reconcile(POD, cfg), "repaired");
    const writes = fx.calls.filter(
      (c) => c.kind === "nft" || !(c.argv.includes("show") || c.argv.includes("list")),
    );
    assert.deepEqual(
      writes.map((c) => (c.kind === "exec" ? c.argv.join(" ") : "nft")),
      ["ip -6 route add local ::/0 dev lo table 100"],
    );
    const drifted = new FakeNetnsExec(installed({ nft: JSON.stringify({ nftables: [] }) }));
    assert.equal(await new InpodRedirector(drifted).reconcile(POD, cfg), "repaired");
    assertGolden(golden("reconcile-drift"), `${drifted.transcript()}\n`);
  });

  it("treats a non-existent route table as missing routes", async () => {
    const fx = new FakeNetnsExec((_n, argv) => {
      if (argv.join(" ").includes("route show table 100")) {
        throw new NetnsError(
          "command_failed",
          "ip -j -4 route show table 100: Error: ipv4: FIB table does not exist.",
        );
      }
      return argv[0] === "nft" ? JSON.stringify({ nftables: [] }) : "[]";
    });
    const st = await new InpodRedirector(fx).inspect(POD, cfg);
    assert.deepEqual(st.routingMissing, ["-4 rule", "-4 route", "-6 rule", "-6 route"]);
  });

  it("remove clears tables and both families' routing; a vanished netns is a no-op", async () => {
    const fx = new FakeNetnsExec();
    await new InpodRedirector(fx).remove(POD);
    assertGolden(golden("remove"), `${fx.transcript()}\n`);
    const gone = new FakeNetnsExec();
    gone.missing.add(POD);
    await new InpodRedirector(gone).remove(POD);
    assert.equal(gone.calls.length, 0);
  });

  it("remove tolerates already-absent routing but not other failures", async () => {
    const absent = new FakeNetnsExec((_n, argv) => {
      if (argv.includes("del"))
        throw new NetnsError("command_failed", "ip rule del: RTNETLINK answers: No such file or directory");
      return "";
    });
    await new InpodRedirector(absent).remove(POD);
    const broken = new FakeNetnsExec((_n, argv) => {
      if (argv.includes("del")) throw new NetnsError("command_failed", "ip: permission denied");
      return "";
    });
    await assert.rejects(new InpodRedirector(broken).remove(POD), /permission denied/);
  });

  it("wraps commands with ip netns exec for named netns, nsenter otherwise", () => {
    assert.equal(namedNetns("/run/netns/x1"), "x1");
    assert.equal(namedNetns("/proc/12/ns/net"), undefined);
    assert.deepEqual(wrapInNetns("/var/run/netns/p", ["nft", "-j"]), [
      "ip",
      "netns",
      "exec",
      "p",
      "nft",
      "-j",
    ]);
    assert.deepEqual(wrapInNetns("/proc/12/ns/net", ["ip", "rule"]), [
      "nsenter",
      "--net=/proc/12/ns/net",
      "--",
      "ip",
      "rule",
    ]);
  });
});

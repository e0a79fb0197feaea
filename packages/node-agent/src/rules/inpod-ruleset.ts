/**
 * The in-pod redirection ruleset as data: Istio's ambient rules (wire-spec §5.2, native nftables
 * variant) expressed as nftables tables/chains/rules. Pure: no exec, no I/O. The renderer
 * (`nft-script.ts`) turns it into an atomic `nft -f` transaction and the drift check
 * (`installed-check.ts`) compares it against `nft -j list ruleset`.
 *
 * Table names follow Istio's native nftables mode (`inet istio-ambient-{nat,mangle,raw}`) so that
 * anyone who has debugged an Istio ambient pod recognises them; chain layout is Istio's too: a base
 * chain per hook that jumps to `istio-prerouting` / `istio-output`.
 */
import { createHash } from "node:crypto";
import { MARK_MASK, Ports, PROBE_SNAT_IPV4, PROBE_SNAT_IPV6, TPROXY_MARK, ZTUNNEL_MARK } from "@ambit/api";

/** Per-pod knobs of the ruleset (from agent flags and pod annotations). */
export interface InpodRulesConfig {
  /** Also render the `ip6` rules (the pod has IPv6 on loopback). */
  readonly ipv6: boolean;
  /** Redirect DNS (UDP+TCP 53) to ztunnel's DNS proxy on 15053; off until the DNS proxy exists. */
  readonly dnsCapture: boolean;
  /** Istio's "ingress mode" (`ambient.istio.io/bypass-inbound-capture`): no inbound 15006 capture. */
  readonly bypassInboundCapture: boolean;
}

export const DEFAULT_INPOD_RULES_CONFIG: InpodRulesConfig = {
  ipv6: true,
  dnsCapture: false,
  bypassInboundCapture: false,
};

/** One nft rule; `id` is stored as the rule's comment so the drift check can find it again. */
export interface NftRule {
  readonly id: string;
  readonly expr: string;
}

/** A chain; base chains carry their hook. */
export interface NftChain {
  readonly name: string;
  readonly hook?: {
    readonly type: "nat" | "filter" | "route";
    readonly hook: "prerouting" | "output";
    readonly priority: number;
  };
  readonly rules: readonly NftRule[];
}

export interface NftTable {
  readonly family: "inet";
  readonly name: string;
  readonly chains: readonly NftChain[];
}

/** The complete desired state of one pod's netfilter config, plus a fingerprint of it. */
export interface InpodRuleset {
  readonly tables: readonly NftTable[];
  /** Every table name ambit may own in a pod (present or not): apply/remove touch all of them. */
  readonly ownedTables: readonly string[];
  /** Short hash of the rendered content; stored in a rule comment to detect version drift. */
  readonly fingerprint: string;
}

/** Names of the tables; exported for tests and the status dump. */
export const INPOD_TABLES = {
  nat: "istio-ambient-nat",
  mangle: "istio-ambient-mangle",
  raw: "istio-ambient-raw",
} as const;

/** Comment prefix of the rule carrying the fingerprint (the nat prerouting jump). */
export const FINGERPRINT_PREFIX = "ambit-inpod:";

const hex = (n: number): string => `0x${n.toString(16)}`;
const MARK = `meta mark & ${hex(MARK_MASK)}`;
const NOT_ZT = `${MARK} != ${hex(ZTUNNEL_MARK)}`;

interface Family {
  readonly tag: "" | "-v6";
  readonly ip: "ip" | "ip6";
  readonly loopback: string;
  readonly probe: string;
}

function families(cfg: InpodRulesConfig): Family[] {
  const v4: Family = { tag: "", ip: "ip", loopback: "127.0.0.1/32", probe: PROBE_SNAT_IPV4 };
  const v6: Family = { tag: "-v6", ip: "ip6", loopback: "::1/128", probe: PROBE_SNAT_IPV6 };
  return cfg.ipv6 ? [v4, v6] : [v4];
}

function perFamily(cfg: InpodRulesConfig, f: (fam: Family) => NftRule): NftRule[] {
  return families(cfg).map(f);
}

function base(
  name: "prerouting" | "output",
  type: "nat" | "filter" | "route",
  priority: number,
  target: string,
): NftChain {
  return {
    name,
    hook: { type, hook: name, priority },
    rules: [{ id: `jump-${target}`, expr: `jump ${target}` }],
  };
}

function natTable(cfg: InpodRulesConfig): NftTable {
  const pre: NftRule[] = [];
  if (!cfg.bypassInboundCapture) {
    // Probes arrive SNATed to the link-local probe address: let them reach the app directly.
    pre.push(
      ...perFamily(cfg, (f) => ({
        id: `probe-accept${f.tag}`,
        expr: `${f.ip} saddr ${f.probe} meta l4proto tcp accept`,
      })),
    );
    // Everything else inbound (except HBONE on 15008 and ztunnel's own marked traffic) → 15006.
    pre.push(
      ...perFamily(cfg, (f) => ({
        id: `inbound-redirect${f.tag}`,
        expr: `${f.ip} daddr != ${f.loopback} tcp dport != ${Ports.hbone} ${NOT_ZT} redirect to :${Ports.inboundPlaintext}`,
      })),
    );
  }
  const out: NftRule[] = [];
  out.push(
    ...perFamily(cfg, (f) => ({
      id: `probe-reply${f.tag}`,
      expr: `${f.ip} daddr ${f.probe} meta l4proto tcp accept`,
    })),
  );
  if (cfg.dnsCapture) {
    out.push({
      id: "dns-udp-redirect",
      expr: `oifname != "lo" udp dport 53 ${NOT_ZT} redirect to :${Ports.dns}`,
    });
    out.push(
      ...perFamily(cfg, (f) => ({
        id: `dns-tcp-redirect${f.tag}`,
        expr: `${f.ip} daddr != ${f.loopback} tcp dport 53 ${NOT_ZT} redirect to :${Ports.dns}`,
      })),
    );
  }
  // Replies of ztunnel's spoofed-source connections (connmark restored into the mark): no NAT.
  out.push({ id: "tproxy-reply-accept", expr: `meta l4proto tcp ${MARK} == ${hex(TPROXY_MARK)} accept` });
  out.push(
    ...perFamily(cfg, (f) => ({
      id: `loopback-accept${f.tag}`,
      expr: `${f.ip} daddr != ${f.loopback} oifname "lo" accept`,
    })),
  );
  out.push(
    ...perFamily(cfg, (f) => ({
      id: `outbound-redirect${f.tag}`,
      expr: `${f.ip} daddr != ${f.loopback} meta l4proto tcp ${NOT_ZT} redirect to :${Ports.outbound}`,
    })),
  );
  return {
    family: "inet",
    name: INPOD_TABLES.nat,
    chains: [
      { name: "istio-prerouting", rules: pre },
      { name: "istio-output", rules: out },
      base("prerouting", "nat", -100, "istio-prerouting"),
      base("output", "nat", -100, "istio-output"),
    ],
  };
}

function mangleTable(): NftTable {
  const keep = ~MARK_MASK >>> 0;
  return {
    family: "inet",
    name: INPOD_TABLES.mangle,
    chains: [
      {
        name: "istio-prerouting",
        rules: [
          {
            // ztunnel's marked packets looping back in: remember the connection as "to ztunnel".
            id: "connmark-save",
            expr: `${MARK} == ${hex(ZTUNNEL_MARK)} ct mark set ct mark & ${hex(keep)} | ${hex(TPROXY_MARK)}`,
          },
        ],
      },
      {
        name: "istio-output",
        rules: [
          // The app's replies on such connections get the mark back → table 100 → lo → ztunnel.
          {
            id: "connmark-restore",
            expr: `ct mark & ${hex(MARK_MASK)} == ${hex(TPROXY_MARK)} meta mark set ct mark`,
          },
        ],
      },
      base("prerouting", "filter", -150, "istio-prerouting"),
      base("output", "route", -150, "istio-output"),
    ],
  };
}

function rawTable(): NftTable {
  // Separate conntrack zone for DNS so ztunnel's upstream queries never collide with the app's.
  return {
    family: "inet",
    name: INPOD_TABLES.raw,
    chains: [
      {
        name: "istio-prerouting",
        rules: [{ id: "dns-ct-zone-in", expr: `udp sport 53 ${NOT_ZT} ct zone set 1` }],
      },
      {
        name: "istio-output",
        rules: [
          { id: "dns-ct-zone-out", expr: `udp dport 53 ${MARK} == ${hex(ZTUNNEL_MARK)} ct zone set 1` },
        ],
      },
      base("prerouting", "filter", -300, "istio-prerouting"),
      base("output", "filter", -300, "istio-output"),
    ],
  };
}

/** Builds the desired ruleset for one pod. Deterministic: same config → same fingerprint. */
export function buildInpodRuleset(cfg: InpodRulesConfig): InpodRuleset {
  const tables = [natTable(cfg), mangleTable()];
  if (cfg.dnsCapture) tables.push(rawTable());
  const fingerprint = createHash("sha256").update(JSON.stringify(tables)).digest("hex").slice(0, 12);
  // Stamp the fingerprint onto the nat prerouting jump (the kernel keeps rule comments, and
  // `nft -j` shows them; table comments are not in 1.0.6's JSON).
  const stamped = tables.map((t) =>
    t.name !== INPOD_TABLES.nat
      ? t
      : {
          ...t,
          chains: t.chains.map((c) =>
            c.name !== "prerouting"
              ? c
              : { ...c, rules: c.rules.map((r) => ({ ...r, id: `${FINGERPRINT_PREFIX}${fingerprint}` })) },
          ),
        },
  );
  return { tables: stamped, ownedTables: Object.values(INPOD_TABLES), fingerprint };
}

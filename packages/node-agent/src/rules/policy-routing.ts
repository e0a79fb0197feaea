/**
 * In-pod policy routing (wire-spec §5.3): packets carrying the TPROXY mark (the app's replies to
 * ztunnel's spoofed-source connections) are looked up in table 100, whose only route is
 * `local default dev lo`, so they are delivered to ztunnel's transparent socket instead of leaving
 * the pod. Pure: builds `ip` argument vectors and checks `ip -j` output.
 */
import { INPOD_ROUTE_TABLE, MARK_MASK, TPROXY_MARK } from "@ambit/api";
import { RulesError } from "./rules-error.js";

/** Preference of the fwmark rule (Istio's value; below `main` at 32766). */
export const INPOD_RULE_PREF = 32764;

export type IpFamilyFlag = "-4" | "-6";

/** What must exist per family, and how to create / delete it. */
export interface PolicyRoutingPlan {
  readonly family: IpFamilyFlag;
  readonly addRule: readonly string[];
  readonly delRule: readonly string[];
  readonly addRoute: readonly string[];
  readonly delRoute: readonly string[];
  /** `ip -j <family> rule show` / `ip -j <family> route show table 100` argument vectors. */
  readonly showRules: readonly string[];
  readonly showRoutes: readonly string[];
}

const fwmark = `0x${TPROXY_MARK.toString(16)}/0x${MARK_MASK.toString(16)}`;

/** Plans for v4 and (optionally) v6. */
export function buildPolicyRouting(ipv6: boolean): PolicyRoutingPlan[] {
  const fams: IpFamilyFlag[] = ipv6 ? ["-4", "-6"] : ["-4"];
  return fams.map((f) => {
    const rule = ["fwmark", fwmark, "pref", String(INPOD_RULE_PREF), "lookup", String(INPOD_ROUTE_TABLE)];
    const route = [
      "local",
      f === "-4" ? "0.0.0.0/0" : "::/0",
      "dev",
      "lo",
      "table",
      String(INPOD_ROUTE_TABLE),
    ];
    return {
      family: f,
      addRule: [f, "rule", "add", ...rule],
      delRule: [f, "rule", "del", ...rule],
      addRoute: [f, "route", "add", ...route],
      delRoute: [f, "route", "del", ...route],
      showRules: ["-j", f, "rule", "show"],
      showRoutes: ["-j", f, "route", "show", "table", String(INPOD_ROUTE_TABLE)],
    };
  });
}

/** Observed presence of the two entries of one family. */
export interface PolicyRoutingObserved {
  readonly rule: boolean;
  readonly route: boolean;
}

function asArray(json: string): unknown[] {
  const trimmed = json.trim();
  if (trimmed === "") return [];
  let v: unknown;
  try {
    v = JSON.parse(trimmed);
  } catch (e) {
    throw new RulesError("bad_ip_json", `ip -j output: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(v)) throw new RulesError("bad_ip_json", "ip -j output: not an array");
  return v;
}

/** Reads `ip -j rule show` / `ip -j route show table 100` output. Throws `bad_ip_json`. */
export function observePolicyRouting(rulesJson: string, routesJson: string): PolicyRoutingObserved {
  const rule = asArray(rulesJson).some((r) => {
    const o = r as Record<string, unknown>;
    return (
      o["priority"] === INPOD_RULE_PREF &&
      o["fwmark"] === `0x${TPROXY_MARK.toString(16)}` &&
      o["fwmask"] === `0x${MARK_MASK.toString(16)}` &&
      String(o["table"]) === String(INPOD_ROUTE_TABLE)
    );
  });
  const route = asArray(routesJson).some((r) => {
    const o = r as Record<string, unknown>;
    return o["type"] === "local" && o["dst"] === "default" && o["dev"] === "lo";
  });
  return { rule, route };
}

/**
 * Pure enrolment decisions of the node agent: given what it knows about a pod, the next step to
 * take. The executor (`node-agent.ts`) performs steps until a pod is `done` or must `wait`.
 *
 * Order (Istio's): install the in-pod rules FIRST, then Add to ztunnel; a pod counts as enrolled
 * only once ztunnel acked it. Removal: rules first (capture stops), then Del.
 */
import { isPodEnrolled, type NodePodRecord } from "@ambit/api";
import type { InpodRulesConfig } from "../rules/index.js";

/** Per-pod annotations honoured (Istio's names). */
export const ANNOTATION_DNS_CAPTURE = "ambient.istio.io/dns-capture";
export const ANNOTATION_BYPASS_INBOUND = "ambient.istio.io/bypass-inbound-capture";

/** What the agent knows about one pod. */
export interface PodEntry {
  /** Latest record from pods.json; undefined once the pod disappeared from it. */
  record: NodePodRecord | undefined;
  /** Last known netns path (kept after deletion: a deleted pod's netns may still exist). */
  netnsPath: string;
  /** `unknown` until inspected by this process (after a restart rules may already be there). */
  rules: "unknown" | "installed" | "absent";
  /** ztunnel's view: `in_flight` while an Add (or snapshot entry) awaits its ack. */
  zds: "absent" | "in_flight" | "acked" | "nacked";
  /** Rules config the installed rules were rendered with. */
  config?: InpodRulesConfig;
  /** Earliest time (ms) to retry after a failure or NACK. */
  retryAt: number;
  lastError?: string;
}

export type PodStep =
  | "install"
  | "zds_add"
  | "uninstall"
  | "zds_del"
  | "zds_forget"
  | "forget"
  | "wait"
  | "done";

/** Whether the pod should be in the mesh: enrolled by label and its netns is alive. */
export function wantsEnrolment(rec: NodePodRecord | undefined): boolean {
  if (!rec) return false;
  if (rec.phase !== "Pending" && rec.phase !== "Running") return false;
  return isPodEnrolled(rec);
}

/** Rules config of one pod: agent defaults, overridden by the pod's annotations. */
export function rulesConfigFor(
  rec: NodePodRecord,
  defaults: { readonly dnsCapture: boolean },
  ipv6: boolean,
): InpodRulesConfig {
  const dns = rec.annotations[ANNOTATION_DNS_CAPTURE];
  return {
    ipv6,
    dnsCapture: dns === undefined ? defaults.dnsCapture : dns === "true",
    bypassInboundCapture: rec.annotations[ANNOTATION_BYPASS_INBOUND] === "true",
  };
}

/** True when the pod is fully enrolled (rules in place and ztunnel acked). */
export function isEnrolled(e: PodEntry): boolean {
  return wantsEnrolment(e.record) && e.rules === "installed" && e.zds === "acked";
}

/**
 * The next step for one pod. `configChanged` means the wanted rules config differs from the one
 * installed (annotation flipped); `connected` whether a ztunnel is connected.
 */
export function planPod(e: PodEntry, now: number, connected: boolean, configChanged: boolean): PodStep {
  const backingOff = now < e.retryAt;
  if (wantsEnrolment(e.record)) {
    if (e.rules !== "installed" || configChanged) return backingOff ? "wait" : "install";
    if (e.zds === "acked" || e.zds === "in_flight") return "done";
    if (!connected) return "wait"; // the next snapshot carries it
    return backingOff ? "wait" : "zds_add";
  }
  if (e.rules !== "absent") return backingOff ? "wait" : "uninstall";
  if (e.zds === "in_flight") return "wait";
  if (e.zds !== "absent") return connected ? "zds_del" : "zds_forget";
  return e.record === undefined ? "forget" : "done";
}

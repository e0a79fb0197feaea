import { LocalError } from "../local-error.js";
import { type AppliedObject, isServiceObject, type ServicePortSpec } from "../manifest/manifest-types.js";
import type { ClusterLayout } from "./cluster-layout.js";
import { allocateIp, cidrContains, ipToInt, parseCidr } from "./ipv4.js";
import type { PodRecord } from "./pod-plan.js";

/** A Service with its VIP decided (persisted in runtime.json so VIPs are stable across re-applies). */
export interface ServiceRecord {
  /** `<namespace>/<name>`. */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  /** Empty for headless (`clusterIP: None`) services. */
  readonly vip: string;
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePortSpec[];
}

/** One backend of one service port. */
export interface Endpoint {
  readonly ip: string;
  readonly port: number;
  readonly pod: string;
}

/** VIPs start at .0.11: .0.1 is the API server's by convention, .0.10 the cluster DNS. */
const FIRST_VIP_OFFSET = 11;

/**
 * Gives every Service a VIP: the one it already has, else its requested `spec.clusterIP` (must be
 * in the service CIDR and free), else the lowest free address. Pure.
 */
export function planServices(
  objects: readonly AppliedObject[],
  current: readonly ServiceRecord[],
  layout: ClusterLayout,
): ServiceRecord[] {
  const cidr = parseCidr(layout.serviceCidr);
  const prev = new Map(current.map((s) => [s.key, s]));
  const svcs = objects.flatMap((a) => (isServiceObject(a.obj) ? [a.obj] : []));
  const used = new Set<string>([layout.dnsIp]);
  const out: ServiceRecord[] = [];
  const pending: (typeof svcs)[number][] = [];
  // First pass: services that keep or request a specific VIP claim it before anyone allocates.
  for (const s of svcs) {
    const key = `${s.meta.namespace}/${s.meta.name}`;
    const base = {
      key,
      name: s.meta.name,
      namespace: s.meta.namespace,
      ports: s.ports,
      ...(s.selector !== undefined ? { selector: s.selector } : {}),
    };
    if (s.clusterIP === "None") {
      out.push({ ...base, vip: "" });
      continue;
    }
    const want = s.clusterIP !== undefined && s.clusterIP !== "" ? s.clusterIP : prev.get(key)?.vip;
    if (s.clusterIP !== undefined && s.clusterIP !== "") {
      if (!cidrContains(cidr, s.clusterIP)) {
        throw new LocalError(
          "invalid_manifest",
          `Service ${key}: clusterIP ${s.clusterIP} is outside ${layout.serviceCidr}`,
        );
      }
      if (used.has(s.clusterIP)) {
        throw new LocalError(
          "invalid_manifest",
          `Service ${key}: clusterIP ${s.clusterIP} is already in use`,
        );
      }
    }
    if (want !== undefined && want !== "" && !used.has(want)) {
      used.add(want);
      out.push({ ...base, vip: want });
    } else pending.push(s);
  }
  for (const s of pending) {
    const vip = allocateIp(cidr, used, FIRST_VIP_OFFSET);
    used.add(vip);
    out.push({
      key: `${s.meta.namespace}/${s.meta.name}`,
      name: s.meta.name,
      namespace: s.meta.namespace,
      ports: s.ports,
      vip,
      ...(s.selector !== undefined ? { selector: s.selector } : {}),
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function matches(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>>,
): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** Target port of `port` on `pod` (named target ports look up the containers' named ports). */
function targetPortOn(port: ServicePortSpec, pod: PodRecord): number | undefined {
  if (typeof port.targetPort === "number") return port.targetPort;
  for (const c of pod.containers) {
    for (const p of c.ports)
      if (p.name === port.targetPort && p.protocol === port.protocol) return p.containerPort;
  }
  return undefined;
}

/** Endpoints of each port of `svc` (same order as `svc.ports`), from pods matching its selector. */
export function serviceEndpoints(svc: ServiceRecord, pods: readonly PodRecord[]): Endpoint[][] {
  const selected =
    svc.selector === undefined
      ? []
      : pods.filter((p) => p.namespace === svc.namespace && matches(svc.selector ?? {}, p.labels));
  selected.sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip));
  return svc.ports.map((port) =>
    selected.flatMap((p) => {
      const t = targetPortOn(port, p);
      return t === undefined ? [] : [{ ip: p.ip, port: t, pod: p.key }];
    }),
  );
}

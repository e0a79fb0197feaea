import type { AuthorizationPolicy, Service, Workload } from "@ambit/api";
import { formatIdentity } from "@ambit/api";

/** A workload as JSON: identity as a SPIFFE URI, the services map as an object. */
export type WorkloadDump = Omit<Workload, "identity" | "services"> & {
  readonly identity: string;
  readonly services: Readonly<
    Record<string, Workload["services"] extends ReadonlyMap<string, infer P> ? P : never>
  >;
};

/** `/config_dump` body: every store, sorted by key so dumps diff cleanly. */
export interface ProxyStateDump {
  readonly workloads: readonly WorkloadDump[];
  readonly services: readonly Service[];
  readonly policies: readonly AuthorizationPolicy[];
}

function byKey<T>(items: Iterable<T>, key: (t: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Serialize the state's stores (plain data, safe for `JSON.stringify`). */
export function configDumpOf(
  workloads: Iterable<Workload>,
  services: Iterable<Service>,
  policies: Iterable<AuthorizationPolicy>,
): ProxyStateDump {
  return {
    workloads: byKey(workloads, (w) => w.uid).map((w) => ({
      ...w,
      identity: formatIdentity(w.identity),
      services: Object.fromEntries([...w.services].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    })),
    services: byKey(services, (s) => `${s.namespace}/${s.hostname}`),
    policies: byKey(policies, (p) => `${p.namespace}/${p.name}`),
  };
}

import type { AuthorizationPolicy, PolicyScope, Service, ServicePort, Workload } from "@ambit/api";
import { networkAddressKey, policyKey, serviceKey } from "@ambit/api";
import { configDumpOf, type ProxyStateDump } from "./config-dump.js";

/** An IP found in the state: a workload's address or a service VIP. */
export type AddressLookup =
  | { readonly kind: "workload"; readonly workload: Workload }
  | { readonly kind: "service"; readonly service: Service };

/** One endpoint of a service: the workload and its ports for that service. */
export interface Endpoint {
  readonly workload: Workload;
  readonly ports: readonly ServicePort[];
}

/** The policies that apply to a destination workload, and listed names not (yet) known. */
export interface WorkloadPolicies {
  readonly policies: readonly AuthorizationPolicy[];
  readonly unknown: readonly string[];
}

/** One Address push, already converted and validated. Removals are applied first. */
export interface AddressUpdate {
  readonly workloads: readonly Workload[];
  readonly services: readonly Service[];
  readonly removed: readonly string[];
}

export interface AuthorizationUpdate {
  readonly policies: readonly AuthorizationPolicy[];
  readonly removed: readonly string[];
}

/** What kind of state changed; listeners re-read what they need with `find*`. */
export type StateChange = { readonly kind: "address" | "authorization"; readonly generation: number };

/**
 * Read side of the proxy state: what the data path (outbound, inbound, DNS, admin) may use.
 * Lookups are synchronous against the current state; every key follows wire-spec §3.5.
 */
export interface ProxyStateView {
  readonly generation: number;
  findWorkloadByUid(uid: string): Workload | undefined;
  /** Workload owning `ip` in `network` (host-network workloads are not indexed by IP). */
  findWorkloadByAddress(network: string, ip: string): Workload | undefined;
  findServiceByVip(network: string, ip: string): Service | undefined;
  findServiceByHostname(namespace: string, hostname: string): Service | undefined;
  /** Service by its key `namespace/hostname`. */
  findService(key: string): Service | undefined;
  /** A workload address first, then a service VIP (ztunnel's `find_destination` order). */
  findAddress(network: string, ip: string): AddressLookup | undefined;
  /** Workloads whose `services` map contains `serviceKey`, with their ports for it. */
  findEndpoints(serviceKey: string): Endpoint[];
  /** Policy by key `namespace/name`. */
  findPolicy(key: string): AuthorizationPolicy | undefined;
  /** Policies of one scope; for `namespace` scope, only those of `namespace`. */
  findPoliciesByScope(scope: PolicyScope, namespace?: string): AuthorizationPolicy[];
  /** Wire-spec §6.2: NAMESPACE policies of the workload's namespace ∪ GLOBAL ∪ listed names. */
  findPoliciesForWorkload(workload: Workload): WorkloadPolicies;
  workloads(): IterableIterator<Workload>;
  services(): IterableIterator<Service>;
  policies(): IterableIterator<AuthorizationPolicy>;
  /** Register a change listener; returns the unsubscribe function. */
  onChange(listener: (change: StateChange) => void): () => void;
  /** JSON for `/config_dump` (sorted, maps as objects). */
  toJSON(): ProxyStateDump;
}

// GLOBAL policies are indexed under the empty namespace, as ztunnel does.
const GLOBAL_NS = "";

/**
 * The ztunnel's view of the mesh: stores with explicit indexes. The xDS state updater is the only
 * writer and applies one whole push at a time (`applyAddress` / `applyAuthorization`); everything
 * else reads through {@link ProxyStateView}.
 */
export class ProxyState implements ProxyStateView {
  private readonly workloadsByUid = new Map<string, Workload>();
  private readonly workloadsByAddr = new Map<string, Workload>();
  private readonly servicesByKey = new Map<string, Service>();
  private readonly servicesByVip = new Map<string, Service>();
  private readonly endpointsByService = new Map<string, Map<string, Workload>>();
  private readonly policiesByKey = new Map<string, AuthorizationPolicy>();
  private readonly policiesByNamespace = new Map<string, Set<string>>();
  private readonly listeners = new Set<(change: StateChange) => void>();
  private gen = 0;

  get generation(): number {
    return this.gen;
  }

  findWorkloadByUid(uid: string): Workload | undefined {
    return this.workloadsByUid.get(uid);
  }

  findWorkloadByAddress(network: string, ip: string): Workload | undefined {
    return this.workloadsByAddr.get(networkAddressKey(network, ip));
  }

  findServiceByVip(network: string, ip: string): Service | undefined {
    return this.servicesByVip.get(networkAddressKey(network, ip));
  }

  findServiceByHostname(namespace: string, hostname: string): Service | undefined {
    return this.servicesByKey.get(`${namespace}/${hostname}`);
  }

  findService(key: string): Service | undefined {
    return this.servicesByKey.get(key);
  }

  findAddress(network: string, ip: string): AddressLookup | undefined {
    const workload = this.findWorkloadByAddress(network, ip);
    if (workload) return { kind: "workload", workload };
    const service = this.findServiceByVip(network, ip);
    return service ? { kind: "service", service } : undefined;
  }

  findEndpoints(key: string): Endpoint[] {
    const members = this.endpointsByService.get(key);
    if (!members) return [];
    return [...members.values()].map((workload) => ({ workload, ports: workload.services.get(key) ?? [] }));
  }

  findPolicy(key: string): AuthorizationPolicy | undefined {
    return this.policiesByKey.get(key);
  }

  findPoliciesByScope(scope: PolicyScope, namespace?: string): AuthorizationPolicy[] {
    const out: AuthorizationPolicy[] = [];
    for (const p of this.policiesByKey.values()) {
      if (p.scope !== scope) continue;
      if (scope === "namespace" && namespace !== undefined && p.namespace !== namespace) continue;
      out.push(p);
    }
    return out;
  }

  findPoliciesForWorkload(workload: Workload): WorkloadPolicies {
    const keys = new Set<string>();
    for (const k of this.policiesByNamespace.get(workload.namespace) ?? []) keys.add(k);
    for (const k of this.policiesByNamespace.get(GLOBAL_NS) ?? []) keys.add(k);
    const unknown: string[] = [];
    for (const k of workload.authorizationPolicies) {
      if (this.policiesByKey.has(k)) keys.add(k);
      else unknown.push(k);
    }
    const policies: AuthorizationPolicy[] = [];
    for (const k of keys) {
      const p = this.policiesByKey.get(k);
      if (p) policies.push(p);
    }
    return { policies, unknown };
  }

  workloads(): IterableIterator<Workload> {
    return this.workloadsByUid.values();
  }

  services(): IterableIterator<Service> {
    return this.servicesByKey.values();
  }

  policies(): IterableIterator<AuthorizationPolicy> {
    return this.policiesByKey.values();
  }

  onChange(listener: (change: StateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  toJSON(): ProxyStateDump {
    return configDumpOf(this.workloads(), this.services(), this.policies());
  }

  /**
   * @internal Apply one Address push (the xDS updater is the only caller). A removed name is a
   * workload uid, else `ns/hostname` of a service unless the hostname part has a `/` (ztunnel's
   * heuristic). Returns removed names that matched nothing.
   */
  applyAddress(update: AddressUpdate): string[] {
    const unmatched: string[] = [];
    for (const name of update.removed) {
      if (this.removeWorkload(name)) continue;
      const slash = name.indexOf("/");
      if (slash > 0 && !name.slice(slash + 1).includes("/") && this.removeService(name)) continue;
      unmatched.push(name);
    }
    for (const s of update.services) this.upsertService(s);
    for (const w of update.workloads) this.upsertWorkload(w);
    this.changed("address");
    return unmatched;
  }

  /** @internal Apply one Authorization push. Returns removed names that matched nothing. */
  applyAuthorization(update: AuthorizationUpdate): string[] {
    const unmatched: string[] = [];
    for (const key of update.removed) if (!this.removePolicy(key)) unmatched.push(key);
    for (const p of update.policies) {
      const key = policyKey(p);
      this.removePolicy(key);
      this.policiesByKey.set(key, p);
      const ns = p.scope === "global" ? GLOBAL_NS : p.scope === "namespace" ? p.namespace : undefined;
      if (ns !== undefined) {
        const set = this.policiesByNamespace.get(ns) ?? new Set<string>();
        this.policiesByNamespace.set(ns, set);
        set.add(key);
      }
    }
    this.changed("authorization");
    return unmatched;
  }

  private changed(kind: StateChange["kind"]): void {
    this.gen += 1;
    const change = { kind, generation: this.gen };
    for (const l of this.listeners) l(change);
  }

  private upsertWorkload(w: Workload): void {
    this.removeWorkload(w.uid);
    this.workloadsByUid.set(w.uid, w);
    if (w.networkMode !== "host_network") {
      for (const ip of w.addresses) this.workloadsByAddr.set(networkAddressKey(w.network, ip), w);
    }
    for (const key of w.services.keys()) {
      const members = this.endpointsByService.get(key) ?? new Map<string, Workload>();
      this.endpointsByService.set(key, members);
      members.set(w.uid, w);
    }
  }

  private removeWorkload(uid: string): boolean {
    const old = this.workloadsByUid.get(uid);
    if (!old) return false;
    this.workloadsByUid.delete(uid);
    for (const ip of old.addresses) {
      const k = networkAddressKey(old.network, ip);
      if (this.workloadsByAddr.get(k)?.uid === uid) this.workloadsByAddr.delete(k);
    }
    for (const key of old.services.keys()) {
      const members = this.endpointsByService.get(key);
      members?.delete(uid);
      if (members?.size === 0) this.endpointsByService.delete(key);
    }
    return true;
  }

  private upsertService(s: Service): void {
    const key = serviceKey(s);
    this.removeService(key);
    this.servicesByKey.set(key, s);
    for (const a of s.addresses) this.servicesByVip.set(networkAddressKey(a.network, a.ip), s);
  }

  private removeService(key: string): boolean {
    const old = this.servicesByKey.get(key);
    if (!old) return false;
    this.servicesByKey.delete(key);
    for (const a of old.addresses) {
      const k = networkAddressKey(a.network, a.ip);
      if (this.servicesByVip.get(k) === old) this.servicesByVip.delete(k);
    }
    return true;
  }

  private removePolicy(key: string): boolean {
    const old = this.policiesByKey.get(key);
    if (!old) return false;
    this.policiesByKey.delete(key);
    const ns = old.scope === "global" ? GLOBAL_NS : old.namespace;
    this.policiesByNamespace.get(ns)?.delete(key);
    return true;
  }
}

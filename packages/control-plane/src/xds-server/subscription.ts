import { WILDCARD } from "@ambit/core";
import type { XdsResource } from "../model/xds-generator.js";
import type { PublishedSnapshot } from "./snapshot-store.js";

/**
 * What the client holds of one type, in the server's view. After any push to a wildcard
 * subscriber the client holds exactly one snapshot's resources, so we keep a reference to that
 * (immutable) snapshot instead of a per-client name → version map: 100 clients × 11k resources
 * would otherwise cost tens of MB. Named subscriptions, and the declared
 * `initial_resource_versions` of a reconnect, use an explicit map.
 */
export type Held =
  | { readonly kind: "snapshot"; readonly snapshot: PublishedSnapshot }
  | { readonly kind: "map"; readonly map: Map<string, string> };

/**
 * One stream's subscription to one type URL, and the server's view of what that client holds.
 * Mutated only by the stream that owns it.
 */
export interface TypeSubscription {
  readonly typeUrl: string;
  /** Wildcard: every resource of the type (empty first request, or `*` subscribed). */
  wildcard: boolean;
  /** Explicit names: primary names or aliases (`network/ip`). */
  readonly names: Set<string>;
  held: Held;
  /** Snapshot version `held` is in sync with; -1 forces a full diff on the next push. */
  syncedVersion: number;
}

/** What a stream's subscription request asked for (the part of a DeltaDiscoveryRequest that matters). */
export interface SubscriptionRequest {
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialResourceVersions: Readonly<Record<string, string>>;
}

/**
 * Plan for one response: resources to send and names to report removed. `full` means "every
 * resource of the snapshot, nothing removed", which the stream serves from a per-snapshot cache.
 */
export interface PushPlan {
  readonly resources: readonly XdsResource[];
  readonly removed: readonly string[];
  /** Every resource of the snapshot (then `resources` is left empty: the stream uses the cache). */
  readonly full: boolean;
}

/** Version of `name` the client holds, if any. */
export function heldVersion(sub: TypeSubscription, name: string): string | undefined {
  return sub.held.kind === "map"
    ? sub.held.map.get(name)
    : sub.held.snapshot.of(sub.typeUrl).get(name)?.version;
}

function heldNames(sub: TypeSubscription): IterableIterator<string> {
  return sub.held.kind === "map" ? sub.held.map.keys() : sub.held.snapshot.of(sub.typeUrl).keys();
}

/** Number of resources the client holds. */
export function heldCount(sub: TypeSubscription): number {
  return sub.held.kind === "map" ? sub.held.map.size : sub.held.snapshot.of(sub.typeUrl).size;
}

function materialize(sub: TypeSubscription): Map<string, string> {
  if (sub.held.kind === "map") return sub.held.map;
  const map = new Map<string, string>();
  for (const [name, r] of sub.held.snapshot.of(sub.typeUrl)) map.set(name, r.version);
  sub.held = { kind: "map", map };
  return map;
}

/** Start a subscription from the first request of a type on a stream (wire-spec §3.3). */
export function openSubscription(typeUrl: string, req: SubscriptionRequest): TypeSubscription {
  const sub: TypeSubscription = {
    typeUrl,
    // Legacy wildcard: a first request that names nothing subscribes to everything.
    wildcard: req.subscribe.length === 0 || req.subscribe.includes(WILDCARD),
    names: new Set(req.subscribe.filter((n) => n !== WILDCARD)),
    held: { kind: "map", map: new Map(Object.entries(req.initialResourceVersions)) },
    syncedVersion: -1,
  };
  if (req.unsubscribe.includes(WILDCARD)) sub.wildcard = false;
  return sub;
}

/**
 * Apply a later request's subscribe/unsubscribe lists. Returns true when the subscription
 * changed (the stream then owes the client a response). Unsubscribed resources are forgotten
 * without a removal: the client drops them itself.
 */
export function updateSubscription(
  sub: TypeSubscription,
  req: SubscriptionRequest,
  snap: PublishedSnapshot,
): boolean {
  let changed = false;
  for (const n of req.subscribe) {
    if (n === WILDCARD) {
      if (!sub.wildcard) changed = true;
      sub.wildcard = true;
    } else if (!sub.names.has(n)) {
      sub.names.add(n);
      changed = true;
    }
  }
  for (const n of req.unsubscribe) {
    if (n === WILDCARD) {
      if (sub.wildcard) changed = true;
      sub.wildcard = false;
    } else if (sub.names.delete(n)) {
      changed = true;
    }
  }
  if (changed) {
    const map = materialize(sub);
    const resources = snap.of(sub.typeUrl);
    for (const name of [...map.keys()]) {
      const r = resources.get(name);
      if (r && !matches(sub, r)) map.delete(name);
    }
    sub.syncedVersion = -1;
  }
  return changed;
}

/** Does the subscription cover this resource (wildcard, its name, or one of its aliases)? */
export function matches(sub: TypeSubscription, r: XdsResource): boolean {
  if (sub.wildcard || sub.names.has(r.name)) return true;
  for (const a of r.aliases) if (sub.names.has(a)) return true;
  return false;
}

/**
 * Decide what to send so the client ends up holding exactly the subscribed part of `snap`.
 * `changed` (names changed since `sub.syncedVersion`) limits the work to those names; undefined
 * means a full diff. Pure: does not touch `sub`; {@link commitPlan} records the result.
 */
export function planPush(
  sub: TypeSubscription,
  snap: PublishedSnapshot,
  changed: ReadonlySet<string> | undefined,
): PushPlan {
  const resources = snap.of(sub.typeUrl);
  // A wildcard client holding nothing gets everything: served from the snapshot's shared response.
  if (sub.wildcard && heldCount(sub) === 0 && resources.size > 0) {
    return { resources: [], removed: [], full: true };
  }
  const send: XdsResource[] = [];
  const removed: string[] = [];
  const consider = (name: string): void => {
    const r = resources.get(name);
    const held = heldVersion(sub, name);
    if (r && matches(sub, r)) {
      if (held !== r.version) send.push(r);
    } else if (held !== undefined) {
      removed.push(name);
    }
  };
  if (changed) {
    for (const name of changed) consider(name);
  } else if (sub.wildcard) {
    for (const name of resources.keys()) consider(name);
    for (const name of heldNames(sub)) if (!resources.has(name)) removed.push(name);
  } else {
    const candidates = new Set<string>();
    const aliases = snap.aliases(sub.typeUrl);
    for (const n of sub.names) {
      if (resources.has(n)) candidates.add(n);
      for (const primary of aliases.get(n) ?? []) candidates.add(primary);
    }
    for (const name of heldNames(sub)) candidates.add(name);
    for (const name of candidates) consider(name);
  }
  return { resources: send, removed, full: false };
}

/** Record that `plan` was sent: the client now holds those versions (ACKed or not). */
export function commitPlan(sub: TypeSubscription, plan: PushPlan, snap: PublishedSnapshot): void {
  if (sub.wildcard) {
    // A wildcard client now holds exactly this snapshot's resources of the type.
    sub.held = { kind: "snapshot", snapshot: snap };
  } else {
    const map = materialize(sub);
    for (const r of plan.resources) map.set(r.name, r.version);
    for (const name of plan.removed) map.delete(name);
  }
  sub.syncedVersion = snap.version;
}

import type { Backend, Endpoint, WeightedBackend } from "../config/types.js";
import { weakMemo2 } from "../weak-memo.js";

/** Source of randomness in [0, 1); injected so splits are table-testable. */
export type Random = () => number;

/**
 * Weighted choice among a rule's backendRefs. Weight-0 backends are never chosen; undefined when
 * no backend has weight (Gateway API: such a rule answers 500).
 */
export function pickWeighted(
  backends: readonly WeightedBackend[],
  rand: Random,
): WeightedBackend | undefined {
  let total = 0;
  for (const b of backends) total += b.weight;
  if (total <= 0) return undefined;
  let x = rand() * total;
  for (const b of backends) {
    if (b.weight <= 0) continue;
    if (x < b.weight) return b;
    x -= b.weight;
  }
  // Floating-point edge (rand() close to 1): the last weighted backend.
  for (let i = backends.length - 1; i >= 0; i--) {
    const b = backends[i];
    if (b && b.weight > 0) return b;
  }
  return undefined;
}

/** A chosen endpoint and the port to reach the app on (service port translated). */
export interface EndpointChoice {
  readonly endpoint: Endpoint;
  readonly targetPort: number;
}

/**
 * Random endpoint that serves `servicePort`, skipping `exclude` (addresses already tried by a
 * retry) unless nothing else is left. Undefined when the service has no endpoint for that port.
 */
export function pickEndpoint(
  backend: Backend,
  servicePort: number,
  rand: Random,
  exclude?: ReadonlySet<string>,
): EndpointChoice | undefined {
  const all = choicesFor(backend, servicePort);
  let pool = all;
  if (exclude && exclude.size > 0) {
    const fresh = all.filter((c) => !exclude.has(c.endpoint.address));
    if (fresh.length > 0) pool = fresh;
  }
  if (pool.length === 0) return undefined;
  return pool[Math.min(pool.length - 1, Math.floor(rand() * pool.length))];
}

/**
 * The endpoints of `backend` serving `servicePort`, built once per (backend, port): a config's
 * `Backend` objects never change (a new config is new objects), and at 1000 rps rebuilding the
 * list per request was a measurable share of the waypoint's allocation. The returned choices are
 * stable objects, so callers may cache per choice too.
 */
const choicesFor = weakMemo2((backend: Backend, servicePort: number): readonly EndpointChoice[] => {
  const all: EndpointChoice[] = [];
  for (const e of backend.endpoints) {
    const p = backend.anyPort ? servicePort : e.ports.get(servicePort);
    if (p !== undefined) all.push({ endpoint: e, targetPort: p });
  }
  return all;
});

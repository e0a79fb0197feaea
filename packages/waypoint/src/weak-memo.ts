/**
 * A derivation of an object cached for as long as the object lives. For the request path's
 * per-config and per-tunnel values: config objects are never changed in place (a new config is new
 * objects) and a tunnel's info is fixed, so the value computed the first time stays right, and
 * the cache entry goes away with the object.
 */
export function weakMemo<K extends object, V>(derive: (k: K) => V): (k: K) => V {
  const cache = new WeakMap<K, V>();
  return (k) => {
    const hit = cache.get(k);
    if (hit !== undefined || cache.has(k)) return hit as V;
    const v = derive(k);
    cache.set(k, v);
    return v;
  };
}

/** {@link weakMemo} with a second, primitive key (a port, a service name). */
export function weakMemo2<K extends object, S, V>(derive: (k: K, s: S) => V): (k: K, s: S) => V {
  const cache = new WeakMap<K, Map<S, V>>();
  return (k, s) => {
    let byKey = cache.get(k);
    if (!byKey) {
      byKey = new Map();
      cache.set(k, byKey);
    }
    const hit = byKey.get(s);
    if (hit !== undefined || byKey.has(s)) return hit as V;
    const v = derive(k, s);
    byKey.set(s, v);
    return v;
  };
}

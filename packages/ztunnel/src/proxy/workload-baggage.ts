import type { Workload } from "@ambit/api";
import { formatBaggage } from "@ambit/core";

const withLocality = new WeakMap<Workload, string>();
const withoutLocality = new WeakMap<Workload, string>();

/**
 * The HBONE `baggage` value describing a workload, built once per workload object: state updates
 * replace Workload objects, so caching by identity never serves a stale value, and the proxy no
 * longer formats the same string for every connection. `locality` adds region/zone (the client's
 * CONNECT carries them; the server's 200 answer does not).
 */
export function workloadBaggage(w: Workload, locality: boolean): string {
  const cache = locality ? withLocality : withoutLocality;
  let v = cache.get(w);
  if (v === undefined) {
    v = formatBaggage({
      clusterName: w.clusterId,
      namespace: w.namespace,
      workloadType: w.workloadType,
      workloadName: w.workloadName,
      serviceName: w.canonicalName,
      serviceVersion: w.canonicalRevision,
      ...(locality ? { region: w.locality.region, zone: w.locality.zone } : {}),
    });
    cache.set(w, v);
  }
  return v;
}

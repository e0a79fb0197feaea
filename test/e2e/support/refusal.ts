import type { AccessRecord, MeshCluster } from "./mesh-cluster.js";
import { waitFor } from "./wait.js";

/**
 * Tries `attempt` on a new connection each time until it is refused AND `node` has recorded the
 * refusal (`pred`, records at/after `since`), then returns both.
 *
 * Why both: a connection accepted in the instant before a policy reached the node is closed with
 * `policy_changed_denied` — the client sees a reset just like a refusal, but there is no
 * `denied` record for it. Waiting only for the client's error and then for a `denied` record
 * fails whenever that first error was such a close (seen in CI); trying again on a new
 * connection until the node records a denial is what "a new connection is refused" means.
 */
export async function waitRefused<T>(
  c: Pick<MeshCluster, "records">,
  what: string,
  opts: {
    node: string;
    since: string;
    attempt: () => Promise<T | undefined>;
    pred: (r: AccessRecord) => boolean;
    ms: number;
  },
): Promise<{ refused: T; record: AccessRecord }> {
  let seen: AccessRecord[] = [];
  return waitFor(
    what,
    async () => {
      const refused = await opts.attempt();
      if (refused === undefined) return undefined;
      seen = (await c.records(opts.node)).filter((r) => r.at >= opts.since);
      const record = seen.find(opts.pred);
      return record ? { refused, record } : undefined;
    },
    opts.ms,
    () => `records on ${opts.node} since ${opts.since}: ${JSON.stringify(seen)}`,
  );
}

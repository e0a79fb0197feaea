import { readJson } from "../fs-atomic.js";
import { LocalError } from "../local-error.js";
import type { PodRecord } from "../plan/pod-plan.js";
import type { StatePaths } from "./state-dir.js";

/** Pods recorded in runtime.json (readable without the daemon: `exec` and `logs` work even if it is busy). */
export function readPods(paths: StatePaths): PodRecord[] {
  return readJson<{ pods: PodRecord[] }>(paths.runtimeFile)?.pods ?? [];
}

/**
 * Finds a pod by exact name, else by unique name prefix (`sleep` finds `sleep-1a2b3-0`), optionally
 * within one namespace. Ambiguity and absence are errors naming the candidates.
 */
export function findPod(pods: readonly PodRecord[], query: string, namespace?: string): PodRecord {
  const scoped = namespace === undefined ? pods : pods.filter((p) => p.namespace === namespace);
  const exact = scoped.filter((p) => p.name === query);
  const hits = exact.length > 0 ? exact : scoped.filter((p) => p.name.startsWith(query));
  const [first, ...rest] = hits;
  if (first === undefined) {
    throw new LocalError(
      "unknown_pod",
      `no pod matches ${query}${namespace !== undefined ? ` in namespace ${namespace}` : ""}`,
    );
  }
  if (rest.length > 0) {
    throw new LocalError(
      "unknown_pod",
      `${query} matches several pods: ${hits.map((p) => p.key).join(", ")} (use the full name or -n)`,
    );
  }
  return first;
}

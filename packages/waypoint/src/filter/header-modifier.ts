import type { HeaderModifier } from "../config/types.js";

type Headers = Readonly<Record<string, string | readonly string[]>>;

/** Apply a Gateway API header modifier: set replaces, add appends, remove deletes (names lower-case). */
export function applyHeaderModifier(h: Headers, m: HeaderModifier | undefined): Headers {
  if (!m) return h;
  const out: Record<string, string | readonly string[]> = { ...h };
  for (const [k, v] of m.set) out[k] = v;
  for (const [k, v] of m.add) {
    const cur = out[k];
    out[k] = cur === undefined ? v : typeof cur === "string" ? [cur, v] : [...cur, v];
  }
  for (const k of m.remove) delete out[k];
  return out;
}

/** Headers never forwarded hop to hop (RFC 9110 §7.6.1) and never valid in HTTP/2. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "host",
]);

/** Response headers as received, minus pseudo and hop-by-hop headers. */
export function cleanHeaders(
  h: Readonly<Record<string, string | readonly string[] | undefined>>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v === undefined || k.startsWith(":") || HOP_BY_HOP.has(k)) continue;
    out[k] = typeof v === "string" ? v : [...v];
  }
  return out;
}

import { request } from "node:http";

/**
 * GETs JSON over a unix socket (the control plane's status socket lives in the state dir, so
 * the host reaches it without entering a netns). Undefined on any failure or non-200 answer.
 */
export async function unixGetJson(socketPath: string, path: string, timeoutMs = 1500): Promise<unknown> {
  const r = await unixGet(socketPath, path, timeoutMs);
  if (!("status" in r) || r.status !== 200) return undefined;
  try {
    return JSON.parse(r.body) as unknown;
  } catch {
    return undefined;
  }
}

/** Answer of {@link unixGet}: the status and body, or why there was none. */
export type UnixHttpResult = { readonly status: number; readonly body: string } | { readonly error: string };

/**
 * GETs over a unix socket keeping the status code (callers that must tell "no such endpoint"
 * (404) from "nobody listening" use this instead of {@link unixGetJson}).
 */
export function unixGet(socketPath: string, path: string, timeoutMs = 1500): Promise<UnixHttpResult> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

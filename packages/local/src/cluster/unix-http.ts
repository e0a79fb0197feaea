import { request } from "node:http";

/**
 * GETs JSON over a unix socket (the control plane's status socket lives in the state dir, so
 * the host reaches it without entering a netns). Undefined on any failure or non-200 answer.
 */
export function unixGetJson(socketPath: string, path: string, timeoutMs = 1500): Promise<unknown> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as unknown) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

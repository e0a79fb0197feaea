/**
 * The small HTTP listeners of the waypoint pod (admin 15000, metrics 15020, readiness 15021):
 * a route decides request → answer, this file only serves it. A route that throws answers 500 so
 * a broken dump cannot take a port down; `close()` also ends keep-alive connections (no leaks).
 */
import { createServer, type Server } from "node:http";

/** A route's answer: status and a body (JSON-serialized unless it is a string). */
export interface HttpAnswer {
  readonly code: number;
  readonly body: unknown;
  readonly contentType?: string;
}

export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** JSON that survives bigint fields. */
export function toJsonText(body: unknown): string {
  return `${JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
}

export function listenHttp(
  host: string,
  port: number,
  route: (method: string, url: URL) => HttpAnswer | Promise<HttpAnswer>,
): Promise<HttpListener> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    Promise.resolve()
      .then(() => route(req.method ?? "GET", url))
      .catch(
        (e: unknown): HttpAnswer => ({
          code: 500,
          body: { error: e instanceof Error ? e.message : String(e) },
        }),
      )
      .then((a) => {
        const text = typeof a.body === "string" ? a.body : toJsonText(a.body);
        res.writeHead(a.code, { "content-type": a.contentType ?? "application/json" });
        res.end(text);
      });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const a = server.address();
      resolve({
        port: typeof a === "object" && a !== null ? a.port : port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * The small HTTP listeners every proxy pod serves (admin 15000, metrics 15020, readiness 15021):
 * a route decides request → answer, this file only serves it. Shared by ztunnel and the waypoint.
 * A route that throws answers 500 so a broken dump cannot take a port down; `close()` also ends
 * keep-alive connections so a stopped proxy leaks no sockets.
 */
import { createServer, type Server } from "node:http";
import { errorMessage } from "../errors.js";

/** A route's answer: status and a body (JSON-serialized unless it is a string). */
export interface HttpAnswer {
  readonly code: number;
  readonly body: unknown;
  readonly contentType?: string;
}

/** A bound listener; `port` is the real one when 0 was asked for (tests). */
export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Decide: request → answer. May be async (e.g. a Prometheus registry dump). */
export type HttpRoute = (method: string, url: URL) => HttpAnswer | Promise<HttpAnswer>;

/** Pretty JSON that survives bigint fields (netns inodes, xDS versions). */
export function toJsonText(body: unknown): string {
  return `${JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
}

/** Serve `route` on host:port; resolves once bound, rejects on a bind error (port in use). */
export function listenHttp(host: string, port: number, route: HttpRoute): Promise<HttpListener> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    Promise.resolve()
      .then(() => route(req.method ?? "GET", url))
      .catch((e: unknown): HttpAnswer => ({ code: 500, body: { error: errorMessage(e) } }))
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

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** A pure route answer: status code and a body (JSON-serialized unless it is a string). */
export interface HttpAnswer {
  readonly code: number;
  readonly body: unknown;
  readonly contentType?: string;
}

/** A bound node-netns HTTP listener (admin, metrics, readiness). */
export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** JSON that survives bigint fields (netns inodes, xDS versions). */
export function toJson(body: unknown): string {
  return `${JSON.stringify(body, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
}

/**
 * Serve `route` (decide: request → answer) on host:port. Routes never throw into the socket: an
 * exception becomes a 500 with its message, so a broken dump cannot take the admin port down.
 */
export function listenHttp(
  host: string,
  port: number,
  route: (method: string, url: URL) => HttpAnswer | Promise<HttpAnswer>,
): Promise<HttpListener> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    Promise.resolve()
      .then(() => route(req.method ?? "GET", url))
      .catch((e: unknown) => ({ code: 500, body: { error: e instanceof Error ? e.message : String(e) } }))
      .then((a: HttpAnswer) => {
        const text = typeof a.body === "string" ? a.body : toJson(a.body);
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

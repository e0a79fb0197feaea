import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../config/types.js";
import type { HttpProtocol, L7Request } from "../filter/types.js";
import { upstreamProtocol } from "./upstream-protocol.js";

const backend: Backend = {
  hostname: "svc.ns.svc.cluster.local",
  namespace: "ns",
  name: "svc",
  ports: [
    { port: 80, targetPort: 8080, name: "http", appProtocol: "http" },
    { port: 81, targetPort: 8081, name: "h2", appProtocol: "http2" },
    { port: 82, targetPort: 8082, name: "grpc", appProtocol: "grpc" },
    { port: 83, targetPort: 8083, name: "other", appProtocol: "" },
  ],
  endpoints: [],
  anyPort: false,
};
const req = (protocol: HttpProtocol, contentType?: string): L7Request => ({
  protocol,
  method: "POST",
  path: "/",
  search: "",
  authority: "svc",
  headers: contentType ? { "content-type": contentType } : {},
  body: Buffer.alloc(0),
});

test("upstream HTTP version: the destination port's declared protocol, else the client's (table)", () => {
  const cases: [string, number, L7Request, HttpProtocol][] = [
    ["http port, HTTP/1.1 client", 80, req("http1"), "http1"],
    ["http port, h2c client → HTTP/1.1", 80, req("http2"), "http1"],
    ["http port, gRPC client stays on HTTP/2", 80, req("http2", "application/grpc+proto"), "http2"],
    ["http2 port, HTTP/1.1 client → HTTP/2", 81, req("http1"), "http2"],
    ["grpc port, HTTP/1.1 client → HTTP/2", 82, req("http1"), "http2"],
    ["undeclared port keeps the client's: 1.1", 83, req("http1"), "http1"],
    ["undeclared port keeps the client's: h2", 83, req("http2"), "http2"],
    ["a port the service does not list keeps the client's", 9999, req("http2"), "http2"],
  ];
  for (const [name, port, r, want] of cases) assert.equal(upstreamProtocol(backend, port, r), want, name);
});

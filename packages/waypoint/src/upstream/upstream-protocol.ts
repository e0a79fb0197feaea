import type { Backend } from "../config/types.js";
import type { HttpProtocol, L7Request } from "../filter/types.js";
import { weakMemo2 } from "../weak-memo.js";

/** The declared app protocol of `port` on a backend service, looked up once per (backend, port). */
const declaredProtocol = weakMemo2(
  (b: Backend, port: number) => b.ports.find((p) => p.port === port)?.appProtocol ?? "",
);

/**
 * Which HTTP version to speak to the endpoint, Istio's way: the destination port's declared
 * protocol decides (`http2`/`grpc` → HTTP/2, `http` → HTTP/1.1), an undeclared port keeps the
 * client's. So an h2c client reaches an HTTP/1.1-only app on an `http` port, and an HTTP/1.1
 * client an h2c-only app on an `http2` port. One exception on purpose: gRPC stays on HTTP/2 on an
 * `http` port (gRPC cannot be carried by HTTP/1.1; Envoy would fail those requests).
 */
export function upstreamProtocol(backend: Backend, port: number, req: L7Request): HttpProtocol {
  const declared = declaredProtocol(backend, port);
  if (declared === "http2" || declared === "grpc") return "http2";
  if (declared === "http" && !(req.protocol === "http2" && isGrpc(req))) return "http1";
  return req.protocol;
}

function isGrpc(req: L7Request): boolean {
  const ct = req.headers["content-type"];
  return typeof ct === "string" && ct.startsWith("application/grpc");
}

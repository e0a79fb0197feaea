/**
 * The workloads of the waypoint suite, as small Node programs run in pods (`node -e <script>`):
 * an HTTP app that reports who answered and can fail or stall on demand, and a gRPC server with a
 * unary and a server-streaming method (JSON messages, no .proto: grpc-js generic service).
 */
import { createRequire } from "node:module";

/** HTTP port of {@link HTTP_APP}. */
export const APP_PORT = 8080;
/** gRPC port of {@link GRPC_SERVER_APP}. */
export const GRPC_PORT = 50051;

/** Absolute path of @grpc/grpc-js, so scripts run from any directory can load it. */
export const GRPC_JS = createRequire(import.meta.url).resolve("@grpc/grpc-js");

/**
 * HTTP on {@link APP_PORT}; every answer is JSON `{pod, version, path, ...}` with header
 * `x-version`. Paths:
 * - `/flaky`: every odd-numbered request (per process) answers 503, every even one 200 — a retry
 *   on 503 turns every request into a success, no retry fails half of them;
 * - `/sleep?ms=N`: answers after N ms (the request timeout case);
 * - `/count`: how many requests this process has served per path (the retry case counts tries);
 * - anything else: 200 with the `end-user` header and the peer address it saw.
 * `VERSION` comes from the pod's env (reviews v1/v2).
 */
export const HTTP_APP = `
const version = process.env.VERSION || "v0";
const pod = process.env.POD_NAME;
const seen = {};
require("node:http").createServer((q, r) => {
  const u = new URL(q.url, "http://app");
  seen[u.pathname] = (seen[u.pathname] || 0) + 1;
  const send = (code, o) => {
    r.writeHead(code, { "content-type": "application/json", "x-version": version });
    r.end(JSON.stringify({ pod, version, path: u.pathname, ...o }));
  };
  q.resume();
  if (u.pathname === "/flaky") return send(seen["/flaky"] % 2 === 1 ? 503 : 200, { n: seen["/flaky"] });
  if (u.pathname === "/sleep") {
    const ms = Number(u.searchParams.get("ms")) || 0;
    const t = setTimeout(() => send(200, { slept: ms }), ms);
    r.on("close", () => clearTimeout(t));
    return;
  }
  if (u.pathname === "/count") return send(200, { seen });
  send(200, { user: q.headers["end-user"] || null, peer: String(q.socket.remoteAddress).replace("::ffff:", "") });
}).listen(${APP_PORT});`;

/** Method descriptors shared by the server and the client scripts (JSON over gRPC framing). */
const GRPC_SERVICE = `
const grpc = require(${JSON.stringify(GRPC_JS)});
const ser = (o) => Buffer.from(JSON.stringify(o));
const de = (b) => JSON.parse(b.toString("utf8"));
const method = (name, responseStream) => ({
  path: "/ambit.e2e.Test/" + name, requestStream: false, responseStream,
  requestSerialize: ser, requestDeserialize: de, responseSerialize: ser, responseDeserialize: de,
});
const service = { Echo: method("Echo", false), Count: method("Count", true) };`;

/**
 * gRPC on {@link GRPC_PORT}: `Echo {msg, fail?}` answers `{echo, pod}` (or NOT_FOUND with
 * details "no such msg" when `fail`); `Count {n}` streams `{i}` for i = 1..n, 20 ms apart.
 */
export const GRPC_SERVER_APP = `${GRPC_SERVICE}
const pod = process.env.POD_NAME;
const server = new grpc.Server();
server.addService(service, {
  Echo: (call, cb) => call.request.fail
    ? cb({ code: grpc.status.NOT_FOUND, details: "no such msg" })
    : cb(null, { echo: call.request.msg, pod }),
  Count: (call) => {
    let i = 0;
    const next = () => { if (++i > call.request.n) return call.end(); call.write({ i }); setTimeout(next, 20); };
    next();
  },
});
server.bindAsync("0.0.0.0:${GRPC_PORT}", grpc.ServerCredentials.createInsecure(), (e) => { if (e) throw e; });`;

/**
 * gRPC client (argv: target, msg, n, fail, timeoutMs): one unary `Echo` and one `Count` stream on
 * the same channel; prints `{unary, unaryError, stream, streamError, streamGaps}` as JSON.
 */
export const GRPC_CLIENT = `${GRPC_SERVICE}
const [target, msg, n, fail, t] = process.argv.slice(1);
const Client = grpc.makeGenericClientConstructor(service, "Test");
const c = new Client(target, grpc.credentials.createInsecure());
const deadline = () => new Date(Date.now() + Number(t));
const out = {};
const done = () => { process.stdout.write(JSON.stringify(out)); process.exit(0); };
c.Echo({ msg, fail: fail === "1" }, { deadline: deadline() }, (e, res) => {
  if (e) out.unaryError = { code: e.code, details: e.details }; else out.unary = res;
  const got = [];
  const times = [];
  const s = c.Count({ n: Number(n) }, { deadline: deadline() });
  s.on("data", (m) => { got.push(m.i); times.push(Date.now()); });
  s.on("error", (e) => { out.streamError = { code: e.code, details: e.details }; out.stream = got; done(); });
  s.on("end", () => { out.stream = got; out.spreadMs = times.length > 1 ? times[times.length - 1] - times[0] : 0; done(); });
});`;

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { type Harness, outboundPort, startHarness } from "../testdata/harness.js";

const id = (b: Buffer) => b;
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: id,
  requestDeserialize: id,
  responseSerialize: id,
  responseDeserialize: id,
});
const SERVICE = {
  unary: method("/test.Echo/Unary", false, false),
  bidi: method("/test.Echo/Bidi", true, true),
};

describe("gRPC through the waypoint (h2 prior knowledge, trailers)", () => {
  let h: Harness;
  let server: grpc.Server;
  let client: grpc.Client;
  let closeOutbound: () => Promise<void>;
  before(async () => {
    h = await startHarness();
    server = new grpc.Server();
    server.addService(SERVICE, {
      unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        if (call.request.toString() === "missing")
          cb({ code: grpc.status.NOT_FOUND, details: "no such thing" });
        else cb(null, Buffer.concat([Buffer.from("echo:"), call.request]));
      },
      bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on("data", (d: Buffer) => call.write(Buffer.concat([Buffer.from("re:"), d])));
        call.on("end", () => call.end());
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    h.addEndpointApp("10.0.0.7", 50051, port);
    const host = "grpc.bookinfo.svc.cluster.local";
    h.setConfig({
      namespace: "bookinfo",
      name: "waypoint",
      listeners: [
        {
          hostname: host,
          name: "grpc",
          namespace: "bookinfo",
          addresses: ["10.96.0.60"],
          ports: [{ port: 50051, targetPort: 50051, appProtocol: "grpc" }],
        },
      ],
      backends: [
        {
          hostname: host,
          endpoints: [
            {
              address: "10.0.0.7",
              identity: "spiffe://cluster.local/ns/bookinfo/sa/backend",
              ports: { 50051: 50051 },
            },
          ],
        },
      ],
    });
    const out = await outboundPort(h, "10.96.0.60:50051");
    closeOutbound = () => new Promise((r) => out.server.close(() => r()));
    client = new grpc.Client(`127.0.0.1:${out.port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    await closeOutbound();
    await h.close();
  });

  it("unary call and a gRPC error status pass through (trailers)", async () => {
    const call = (msg: string) =>
      new Promise<{ err: grpc.ServiceError | null; res: Buffer | undefined }>((resolve) =>
        client.makeUnaryRequest("/test.Echo/Unary", id, id, Buffer.from(msg), (err, res) =>
          resolve({ err, res }),
        ),
      );
    const ok = await call("hi");
    assert.equal(ok.err, null);
    assert.equal(ok.res?.toString(), "echo:hi");
    const nf = await call("missing");
    assert.equal(nf.err?.code, grpc.status.NOT_FOUND);
    assert.equal(nf.err?.details, "no such thing");
    const log = h.logs.find((l) => l.path === "/test.Echo/Unary");
    assert.equal(log?.protocol, "HTTP/2");
    const text = await h.metrics.text();
    assert.match(text, /istio_requests_total\{[^}]*request_protocol="grpc"[^}]*grpc_response_status="5"/);
  });

  it("bidirectional streaming: each message answered while the stream stays open", async () => {
    const call = client.makeBidiStreamRequest("/test.Echo/Bidi", id, id);
    const got: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on("data", (d: Buffer) => {
        got.push(d.toString());
        if (got.length < 3) call.write(Buffer.from(`m${got.length}`));
        else call.end();
      });
      call.on("error", reject);
      call.on("status", (s: grpc.StatusObject) =>
        s.code === grpc.status.OK ? resolve() : reject(new Error(s.details)),
      );
    });
    call.write(Buffer.from("m0"));
    await done;
    assert.deepEqual(got, ["re:m0", "re:m1", "re:m2"]);
  });
});

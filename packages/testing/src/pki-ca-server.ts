/**
 * A real gRPC `IstioCertificateService` over TLS for tests of CA clients (ztunnel's secret
 * manager): signs with a {@link TestPki}, and can be told per call to fail, stall, shorten the
 * lifetime or answer for the wrong identity — the faults a real control plane cannot be asked to
 * produce on cue. Apps must not import the real control-plane CA, so this is their CA.
 */

import { IMPERSONATED_IDENTITY_KEY } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { createTestPki, type TestPki } from "./pki.js";

type Req = pb.ca.IstioCertificateRequest;
type Res = pb.ca.IstioCertificateResponse;

/** What one request sees. */
export interface TestCaRequest {
  /** 1-based call number. */
  readonly call: number;
  /** `ImpersonatedIdentity` metadata (empty string when absent). */
  readonly identity: string;
  readonly csrPem: string;
  readonly validitySeconds: bigint;
  readonly metadata: grpc.Metadata;
}

/** How to answer one request. */
export type TestCaAnswer =
  | { readonly kind: "issue"; readonly identity?: string; readonly ttlMs?: number; readonly delayMs?: number }
  | {
      readonly kind: "fail";
      readonly code: grpc.status;
      readonly details: string;
      readonly delayMs?: number;
    };

export interface TestCaServerOptions {
  readonly pki?: TestPki;
  /** Default lifetime of issued leaves (ms); default: the requested validity, else 1 h. */
  readonly ttlMs?: number;
  /** Per-call decision; default: issue. */
  readonly answer?: (req: TestCaRequest) => TestCaAnswer | Promise<TestCaAnswer>;
}

export interface TestCaServer {
  /** `127.0.0.1:<port>`; the serving certificate has SANs `localhost` and `127.0.0.1`. */
  readonly address: string;
  readonly pki: TestPki;
  /** Roots a client must trust (also the root bundle returned in every response). */
  readonly rootsPem: string;
  /** Every request in arrival order. */
  readonly requests: TestCaRequest[];
  /** Highest number of requests in progress at once. */
  readonly maxInFlight: () => number;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start the fake CA on 127.0.0.1, port 0. */
export async function startTestCaServer(opts: TestCaServerOptions = {}): Promise<TestCaServer> {
  const pki = opts.pki ?? (await createTestPki());
  const serving = await pki.issue({ dnsNames: ["localhost"], ips: ["127.0.0.1"], ttlMs: 24 * 3_600_000 });
  const requests: TestCaRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  async function handle(call: grpc.ServerUnaryCall<Req, Res>): Promise<Res> {
    const meta = call.request.metadata?.[IMPERSONATED_IDENTITY_KEY];
    const req: TestCaRequest = {
      call: requests.length + 1,
      identity: typeof meta === "string" ? meta : "",
      csrPem: call.request.csr,
      validitySeconds: call.request.validityDuration,
      metadata: call.metadata,
    };
    requests.push(req);
    const a = (await opts.answer?.(req)) ?? { kind: "issue" as const };
    if (a.delayMs) await sleep(a.delayMs);
    if (a.kind === "fail") throw Object.assign(new Error(a.details), { code: a.code, details: a.details });
    const requestedMs = Number(req.validitySeconds) * 1000;
    const ttlMs = a.ttlMs ?? opts.ttlMs ?? (requestedMs > 0 ? requestedMs : 3_600_000);
    const leaf = await pki.signCsr(req.csrPem, {
      ...(a.identity !== undefined ? { identity: a.identity } : {}),
      notBefore: new Date(Math.floor(Date.now() / 1000) * 1000),
      ttlMs,
    });
    return create(pb.ca.IstioCertificateResponseSchema, {
      certChain: [leaf.certPem, ...pki.intermediatesPem, pki.rootsPem],
    });
  }

  const server = new grpc.Server();
  server.addService(
    {
      CreateCertificate: {
        path: `/${pb.ca.IstioCertificateService.typeName}/CreateCertificate`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (m: Req) => Buffer.from(toBinary(pb.ca.IstioCertificateRequestSchema, m)),
        requestDeserialize: (b: Buffer) => fromBinary(pb.ca.IstioCertificateRequestSchema, b),
        responseSerialize: (m: Res) => Buffer.from(toBinary(pb.ca.IstioCertificateResponseSchema, m)),
        responseDeserialize: (b: Buffer) => fromBinary(pb.ca.IstioCertificateResponseSchema, b),
      },
    },
    {
      CreateCertificate: (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        handle(call).then(
          (res) => {
            inFlight--;
            cb(null, res);
          },
          (e: { code?: grpc.status; details?: string; message?: string }) => {
            inFlight--;
            cb({ code: e.code ?? grpc.status.INTERNAL, details: e.details ?? e.message ?? "error" });
          },
        );
      },
    },
  );
  const creds = grpc.ServerCredentials.createSsl(null, [
    { cert_chain: Buffer.from(serving.chainPem), private_key: Buffer.from(serving.keyPem) },
  ]);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    pki,
    rootsPem: pki.rootsPem,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

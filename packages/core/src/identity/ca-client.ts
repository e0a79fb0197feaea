/**
 * The client of `istio.v1.auth.IstioCertificateService/CreateCertificate` (wire-spec §4):
 * grpc-js over server-authenticated TLS to the control plane, node credential in the metadata,
 * the workload identity in `metadata.ImpersonatedIdentity` as Istio's ztunnel sends it.
 */

import type { Identity } from "@ambit/api";
import {
  formatIdentity,
  IMPERSONATED_IDENTITY_KEY,
  NODE_AUTHORIZATION_HEADER,
  NODE_NAME_HEADER,
} from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { CertificateError } from "./certificate-error.js";

type Req = pb.ca.IstioCertificateRequest;
type Res = pb.ca.IstioCertificateResponse;

const PATH = `/${pb.ca.IstioCertificateService.typeName}/CreateCertificate`;
const serialize = (m: Req) => Buffer.from(toBinary(pb.ca.IstioCertificateRequestSchema, m));
const deserialize = (b: Buffer): Res => fromBinary(pb.ca.IstioCertificateResponseSchema, b);

/** The seam the secret manager signs through (the gRPC client below, or anything equivalent). */
export interface CertificateSigner {
  /** Send `csrPem` for `identity`; resolves with `cert_chain` (leaf first, roots last). */
  sign(identity: Identity, csrPem: string, ttlSeconds: number): Promise<string[]>;
}

export interface CaClientOptions {
  /** `host:port` of the control plane (port `Ports.controlPlane` in a deployment). */
  readonly address: string;
  /** Roots that sign the control plane's serving certificate. */
  readonly rootsPem: string;
  /** The caller's node (ztunnel's own node; a waypoint's node). */
  readonly node: string;
  /**
   * Its bootstrap token, or a function returning the current one (called per request, so a token
   * file rotated by the local runtime is picked up without a restart).
   */
  readonly token: string | (() => string);
  /** Name to verify in the serving certificate when `address` is not one of its SANs. */
  readonly serverName?: string;
  /** Per-call deadline; default 10 s. */
  readonly timeoutMs?: number;
}

const REJECTED = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.FAILED_PRECONDITION,
]);

/** One channel to the CA, reused for every request. */
export class CaClient implements CertificateSigner {
  readonly #client: grpc.Client;
  readonly #opts: CaClientOptions;

  constructor(opts: CaClientOptions) {
    this.#opts = opts;
    const channelOpts: grpc.ChannelOptions = opts.serverName
      ? { "grpc.ssl_target_name_override": opts.serverName, "grpc.default_authority": opts.serverName }
      : {};
    this.#client = new grpc.Client(
      opts.address,
      grpc.credentials.createSsl(Buffer.from(opts.rootsPem)),
      channelOpts,
    );
  }

  sign(identity: Identity, csrPem: string, ttlSeconds: number): Promise<string[]> {
    const id = formatIdentity(identity);
    const md = new grpc.Metadata();
    const token = typeof this.#opts.token === "function" ? this.#opts.token() : this.#opts.token;
    md.set(NODE_AUTHORIZATION_HEADER, `Bearer ${token.trim()}`);
    md.set(NODE_NAME_HEADER, this.#opts.node);
    const req = create(pb.ca.IstioCertificateRequestSchema, {
      csr: csrPem,
      validityDuration: BigInt(Math.max(0, Math.trunc(ttlSeconds))),
      metadata: { [IMPERSONATED_IDENTITY_KEY]: id },
    });
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        PATH,
        serialize,
        deserialize,
        req,
        md,
        { deadline: Date.now() + (this.#opts.timeoutMs ?? 10_000) },
        (err, res) => {
          if (err) {
            const code = REJECTED.has(err.code) ? "ca_rejected" : "ca_unavailable";
            reject(
              new CertificateError(
                code,
                `certificate request for ${id}: ${grpc.status[err.code]}: ${err.details}`,
                {
                  cause: err,
                },
              ),
            );
            return;
          }
          resolve(res ? [...res.certChain] : []);
        },
      );
    });
  }

  close(): void {
    this.#client.close();
  }
}

/**
 * gRPC `istio.v1.auth.IstioCertificateService/CreateCertificate` (wire-spec §4) over grpc-js,
 * for the shared TLS listener on `Ports.controlPlane`. Per call: authenticate the node (→
 * UNAUTHENTICATED), resolve the requested identity (`ImpersonatedIdentity` metadata, else the
 * CSR's URI SAN), authorize it for the node (→ PERMISSION_DENIED), then validate and sign (→
 * INVALID_ARGUMENT). Every decision is logged. Error → status mapping lives only here.
 */

import type { Identity } from "@ambit/api";
import { IdentityError, IMPERSONATED_IDENTITY_KEY, parseIdentity } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { createLogger, errorMessage } from "@ambit/core";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { AuthError } from "../auth/auth-error.js";
import type { NodeAuthenticator } from "../auth/node-authenticator.js";
import { CaError, type CaErrorCode } from "./ca-error.js";
import type { CertificateAuthority } from "./certificate-authority.js";
import { csrSubjectAltNames, parseCsr } from "./csr-validation.js";
import { authorizeNode, type IsIdentityOnNode } from "./node-authorization.js";

const log = createLogger("ca.service");

type Req = pb.ca.IstioCertificateRequest;
type Res = pb.ca.IstioCertificateResponse;

/** Full method path, as istiod serves it. */
export const CREATE_CERTIFICATE_PATH = `/${pb.ca.IstioCertificateService.typeName}/CreateCertificate`;

/** The grpc-js service definition (protobuf-es serializers). */
export const caServiceDefinition: grpc.ServiceDefinition = {
  CreateCertificate: {
    path: CREATE_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: (m: Req) => Buffer.from(toBinary(pb.ca.IstioCertificateRequestSchema, m)),
    requestDeserialize: (b: Buffer) => fromBinary(pb.ca.IstioCertificateRequestSchema, b),
    responseSerialize: (m: Res) => Buffer.from(toBinary(pb.ca.IstioCertificateResponseSchema, m)),
    responseDeserialize: (b: Buffer) => fromBinary(pb.ca.IstioCertificateResponseSchema, b),
  },
};

export interface CaServiceOptions {
  readonly ca: CertificateAuthority;
  readonly authenticator: NodeAuthenticator;
  readonly isIdentityOnNode: IsIdentityOnNode;
}

/** What `server.addService(definition, handlers)` needs. */
export interface CaServiceRegistration {
  readonly definition: grpc.ServiceDefinition;
  readonly handlers: grpc.UntypedServiceImplementation;
}

/** Failure of one call, already mapped to a status. */
class CallError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

const CA_STATUS: Record<CaErrorCode, status> = {
  invalid_request: status.INVALID_ARGUMENT,
  invalid_csr: status.INVALID_ARGUMENT,
  not_on_node: status.PERMISSION_DENIED,
  signing_failed: status.INTERNAL,
  bad_ca_material: status.INTERNAL,
};

function toCallError(e: unknown): CallError {
  if (e instanceof CallError) return e;
  if (e instanceof AuthError) return new CallError(e.grpcCode, e.message);
  if (e instanceof CaError) return new CallError(CA_STATUS[e.code], e.message);
  return new CallError(status.INTERNAL, `ca: internal error: ${errorMessage(e)}`);
}

/** The identity the caller asks for: `ImpersonatedIdentity`, else the CSR's single URI SAN. */
function requestedIdentity(req: Req): Identity {
  const meta = req.metadata?.[IMPERSONATED_IDENTITY_KEY];
  let uri: string;
  if (meta !== undefined) {
    if (typeof meta !== "string") {
      throw new CaError("invalid_request", `ca: metadata ${IMPERSONATED_IDENTITY_KEY} must be a string`);
    }
    uri = meta;
  } else {
    const csr = parseCsr(req.csr);
    if (typeof csr === "string") throw new CaError("invalid_csr", csr);
    const names = csrSubjectAltNames(csr);
    if (typeof names === "string") throw new CaError("invalid_csr", names);
    const uris = names.filter((n) => n.type === "url");
    if (uris.length !== 1)
      throw new CaError("invalid_csr", `invalid CSR: expected exactly one URI SAN, found ${uris.length}`);
    uri = (uris[0] as { value: string }).value;
  }
  try {
    return parseIdentity(uri);
  } catch (e) {
    const why = e instanceof IdentityError ? e.message : errorMessage(e);
    throw new CaError("invalid_request", `ca: requested identity is not a SPIFFE workload identity: ${why}`);
  }
}

/** Build the definition + handlers for `server.addService`. */
export function createCaService(opts: CaServiceOptions): CaServiceRegistration {
  async function handle(call: grpc.ServerUnaryCall<Req, Res>): Promise<Res> {
    const { node } = await opts.authenticator.authenticate(call.metadata);
    const identity = requestedIdentity(call.request);
    const decision = authorizeNode(node, identity, opts.isIdentityOnNode);
    if (!decision.allowed) {
      log.warn("certificate denied", {
        node,
        identity: decision.identity,
        decision: "deny",
        reason: decision.reason,
      });
      throw new CaError("not_on_node", decision.reason);
    }
    const issued = await opts.ca.issueWorkloadCertificate({
      csrPem: call.request.csr,
      identity,
      requestedTtlSeconds: call.request.validityDuration,
    });
    log.info("certificate issued", {
      node,
      identity: decision.identity,
      decision: "allow",
      serial: issued.serial,
      notAfter: issued.notAfter.toISOString(),
      clamped: issued.clamped,
    });
    return create(pb.ca.IstioCertificateResponseSchema, { certChain: [...issued.certChain] });
  }

  const createCertificate: grpc.handleUnaryCall<Req, Res> = (call, callback) => {
    handle(call).then(
      (res) => callback(null, res),
      (e: unknown) => {
        const err = toCallError(e);
        if (!(e instanceof CaError && e.code === "not_on_node")) {
          log.warn("certificate request rejected", {
            status: status[err.code],
            reason: err.message,
            peer: call.getPeer(),
          });
        }
        callback({ code: err.code, details: err.message });
      },
    );
  };
  return { definition: caServiceDefinition, handlers: { CreateCertificate: createCertificate } };
}

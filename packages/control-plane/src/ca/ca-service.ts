/**
 * gRPC `istio.v1.auth.IstioCertificateService/CreateCertificate` (wire-spec §4) over grpc-js,
 * for the shared TLS listener on `Ports.controlPlane`. Per call: authenticate the node (→
 * UNAUTHENTICATED), resolve the requested identity (`ImpersonatedIdentity` metadata, else the
 * CSR's URI SAN), authorize it for the node (→ PERMISSION_DENIED), then validate and sign (→
 * INVALID_ARGUMENT). Every decision is logged as exactly one line from tracer `ca.service`:
 * `{node, identity, decision: allow|deny|reject, …}` (node null and `claimedNode` set when the
 * caller is not authenticated). Error → status mapping lives only here.
 */

import type { Identity } from "@ambit/api";
import {
  formatIdentity,
  IdentityError,
  IMPERSONATED_IDENTITY_KEY,
  NODE_NAME_HEADER,
  parseIdentity,
} from "@ambit/api";
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

/** What is known about one call when it is decided: logged once, on every outcome. */
interface CallFacts {
  /** The authenticated node. */
  node?: string;
  /** The node the caller claims (`x-ambit-node`), logged when authentication failed. */
  claimedNode?: string | undefined;
  /** The requested identity, as parsed or (for unparsable requests) as sent. */
  identity?: string;
}

/** Log fields are capped: an unauthenticated caller controls these strings. */
const clip = (s: string): string => (s.length > 256 ? `${s.slice(0, 256)}…` : s);

function claimedNode(md: grpc.Metadata): string | undefined {
  const v = md.get(NODE_NAME_HEADER)[0];
  return typeof v === "string" ? clip(v) : undefined;
}

/** The identity a rejected request asked for, as far as it can be read; never throws. */
function requestedIdentityText(req: Req): string | undefined {
  const meta = req.metadata?.[IMPERSONATED_IDENTITY_KEY];
  if (meta !== undefined) return clip(typeof meta === "string" ? meta : JSON.stringify(meta));
  const csr = parseCsr(req.csr);
  if (typeof csr === "string") return undefined;
  const names = csrSubjectAltNames(csr);
  if (typeof names === "string") return undefined;
  const uris = names.filter((n) => n.type === "url").map((n) => n.value);
  return uris.length > 0 ? clip(uris.join(",")) : undefined;
}

/** Build the definition + handlers for `server.addService`. */
export function createCaService(opts: CaServiceOptions): CaServiceRegistration {
  async function handle(call: grpc.ServerUnaryCall<Req, Res>, facts: CallFacts): Promise<Res> {
    facts.claimedNode = claimedNode(call.metadata);
    const { node } = await opts.authenticator.authenticate(call.metadata);
    facts.node = node;
    const identity = requestedIdentity(call.request);
    facts.identity = formatIdentity(identity);
    const decision = authorizeNode(node, identity, opts.isIdentityOnNode);
    if (!decision.allowed) throw new CaError("not_on_node", decision.reason);
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
    const facts: CallFacts = {};
    handle(call, facts).then(
      (res) => callback(null, res),
      (e: unknown) => {
        const err = toCallError(e);
        const denied = e instanceof CaError && e.code === "not_on_node";
        // One line per decision: PERMISSION_DENIED is a "deny", every other failure a "reject".
        log.warn(denied ? "certificate denied" : "certificate request rejected", {
          ...(facts.node !== undefined
            ? { node: facts.node }
            : { node: null, claimedNode: facts.claimedNode ?? null }),
          identity: facts.identity ?? requestedIdentityText(call.request) ?? null,
          decision: denied ? "deny" : "reject",
          status: status[err.code],
          reason: err.message,
          peer: call.getPeer(),
        });
        callback({ code: err.code, details: err.message });
      },
    );
  };
  return { definition: caServiceDefinition, handlers: { CreateCertificate: createCertificate } };
}

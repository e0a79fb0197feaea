/**
 * SPIFFE workload identity: `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
 * One validating parser and one formatter; nothing else builds these strings.
 */

export const DEFAULT_TRUST_DOMAIN = "cluster.local";
const SPIFFE_PREFIX = "spiffe://";

/** A parsed identity. Construct with {@link parseIdentity} or {@link makeIdentity}. */
export interface Identity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** Why a string is not a valid identity; a closed set so callers can map it to a status. */
export type IdentityErrorCode =
  | "not_spiffe"
  | "bad_trust_domain"
  | "bad_shape"
  | "bad_namespace"
  | "bad_service_account";

export class IdentityError extends Error {
  override readonly name = "IdentityError";
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// Trust domains follow the SPIFFE spec: lowercase letters, digits, '.', '-', '_'.
const TRUST_DOMAIN_RE = /^[a-z0-9._-]{1,255}$/;
// Kubernetes DNS-1123 label for namespaces; service accounts are DNS-1123 subdomains.
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Validate the parts and build an identity; throws {@link IdentityError}. */
export function makeIdentity(
  namespace: string,
  serviceAccount: string,
  trustDomain = DEFAULT_TRUST_DOMAIN,
): Identity {
  if (!TRUST_DOMAIN_RE.test(trustDomain)) {
    throw new IdentityError("bad_trust_domain", `invalid trust domain: ${JSON.stringify(trustDomain)}`);
  }
  if (!NAMESPACE_RE.test(namespace)) {
    throw new IdentityError("bad_namespace", `invalid namespace: ${JSON.stringify(namespace)}`);
  }
  if (!SERVICE_ACCOUNT_RE.test(serviceAccount)) {
    throw new IdentityError(
      "bad_service_account",
      `invalid service account: ${JSON.stringify(serviceAccount)}`,
    );
  }
  return Object.freeze({ trustDomain, namespace, serviceAccount });
}

/**
 * Parse `spiffe://td/ns/N/sa/S`. Exactly five path segments with the literals `ns` and `sa`,
 * as ztunnel requires; anything else is rejected rather than guessed at.
 */
export function parseIdentity(uri: string): Identity {
  if (!uri.startsWith(SPIFFE_PREFIX)) {
    throw new IdentityError("not_spiffe", `identity must start with spiffe://: ${JSON.stringify(uri)}`);
  }
  const parts = uri.slice(SPIFFE_PREFIX.length).split("/");
  if (parts.length !== 5 || parts[1] !== "ns" || parts[3] !== "sa") {
    throw new IdentityError(
      "bad_shape",
      `identity must be spiffe://<td>/ns/<ns>/sa/<sa>: ${JSON.stringify(uri)}`,
    );
  }
  return makeIdentity(parts[2] as string, parts[4] as string, parts[0] as string);
}

/** Parse without throwing: `undefined` for anything that is not a valid identity. */
export function tryParseIdentity(uri: string): Identity | undefined {
  try {
    return parseIdentity(uri);
  } catch {
    return undefined;
  }
}

/** The one formatter: `spiffe://td/ns/N/sa/S`. */
export function formatIdentity(id: Identity): string {
  return `${SPIFFE_PREFIX}${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Identity as authorization policies see it: the URI without `spiffe://` (`td/ns/N/sa/S`). */
export function principalOf(id: Identity): string {
  return `${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

export function identityEquals(a: Identity, b: Identity): boolean {
  return (
    a.trustDomain === b.trustDomain && a.namespace === b.namespace && a.serviceAccount === b.serviceAccount
  );
}

/**
 * The control plane's CA: signs workload CSRs for SPIFFE identities of its trust domain and the
 * control plane's own serving certificate. Knows nothing about callers or config sources — the
 * gRPC service (`ca-service.ts`) authenticates and authorizes before calling it.
 */
import type { Identity } from "@ambit/api";
import { DEFAULT_TRUST_DOMAIN, formatIdentity } from "@ambit/api";
import { createLogger } from "@ambit/core";
import { CaError } from "./ca-error.js";
import { type CaFiles, type CaMaterial, loadCaFromFiles, withAdditionalRoots } from "./ca-material.js";
import { loadOrCreateRoot } from "./ca-root.js";
import { checkCsr } from "./csr-validation.js";
import { signLeaf } from "./leaf-signer.js";
import {
  DEFAULT_MAX_WORKLOAD_TTL_SECONDS,
  DEFAULT_WORKLOAD_TTL_SECONDS,
  decideTtl,
  type TtlPolicy,
} from "./ttl-policy.js";
import { type CryptoKeyPair, subtle, x509 } from "./x509-setup.js";

const log = createLogger("ca");

export interface CertificateAuthorityOptions {
  /** Default `cluster.local`. */
  readonly trustDomain?: string;
  /** Self-signed root persisted under `<stateDir>/ca/` (used when `files` is absent). */
  readonly stateDir?: string;
  /** Operator-provided root or intermediate (Istio `cacerts` layout). */
  readonly files?: CaFiles;
  /** Extra roots to publish in the trust bundle (root rotation). */
  readonly additionalRootsPem?: string;
  /** Default 24 h. */
  readonly defaultTtlSeconds?: number;
  /** Default 90 d; requests above it are clamped (see ttl-policy.ts). */
  readonly maxTtlSeconds?: number;
  /** Injected clock (ms), for tests. */
  readonly now?: () => number;
}

/** A signed workload certificate in wire order. */
export interface IssuedWorkloadCertificate {
  /** Leaf first, then each intermediate, then the root bundle (possibly several roots) last. */
  readonly certChain: readonly string[];
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ttlSeconds: number;
  /** The request asked for more than the maximum and got the maximum. */
  readonly clamped: boolean;
}

/** PEMs for the control plane's TLS listener (`grpc.ServerCredentials.createSsl`). */
export interface ServingCertificate {
  /** Leaf followed by intermediates. */
  readonly certChainPem: string;
  readonly keyPem: string;
  /** What clients of the control plane must trust. */
  readonly rootsPem: string;
  readonly notAfter: Date;
}

export interface ServingCertificateOptions {
  /** Default `["localhost"]`. */
  readonly dnsNames?: readonly string[];
  /** Default `["127.0.0.1", "::1"]`. */
  readonly ips?: readonly string[];
  /** Default 365 days (never beyond the signer). */
  readonly ttlSeconds?: number;
}

export class CertificateAuthority {
  readonly trustDomain: string;
  readonly ttlPolicy: TtlPolicy;
  readonly #material: CaMaterial;
  readonly #now: () => number;

  private constructor(trustDomain: string, material: CaMaterial, policy: TtlPolicy, now: () => number) {
    this.trustDomain = trustDomain;
    this.#material = material;
    this.ttlPolicy = policy;
    this.#now = now;
  }

  /** Load (or on first start generate) the signing material. */
  static async create(opts: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    const trustDomain = opts.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    let material: CaMaterial;
    if (opts.files) material = await loadCaFromFiles(opts.files);
    else if (opts.stateDir) material = await loadOrCreateRoot(opts.stateDir, trustDomain);
    else throw new CaError("bad_ca_material", "ca: either files or stateDir is required");
    if (opts.additionalRootsPem) material = withAdditionalRoots(material, opts.additionalRootsPem);
    const policy: TtlPolicy = {
      defaultSeconds: opts.defaultTtlSeconds ?? DEFAULT_WORKLOAD_TTL_SECONDS,
      maxSeconds: opts.maxTtlSeconds ?? DEFAULT_MAX_WORKLOAD_TTL_SECONDS,
    };
    if (!(policy.defaultSeconds > 0 && policy.maxSeconds > 0)) {
      throw new CaError("bad_ca_material", `ca: TTLs must be positive: ${JSON.stringify(policy)}`);
    }
    return new CertificateAuthority(trustDomain, material, policy, opts.now ?? Date.now);
  }

  /** The trust bundle (all roots, concatenated PEM): what ztunnels and clients trust. */
  get rootsPem(): string {
    return this.#material.rootsPem.join("");
  }

  /**
   * Validate `csrPem` for `identity` and sign it. Throws `invalid_request` for an identity outside
   * this trust domain and `invalid_csr` (with the reason) for any CSR problem.
   */
  async issueWorkloadCertificate(req: {
    readonly csrPem: string;
    readonly identity: Identity;
    readonly requestedTtlSeconds: bigint | number;
  }): Promise<IssuedWorkloadCertificate> {
    const id = formatIdentity(req.identity);
    if (req.identity.trustDomain !== this.trustDomain) {
      throw new CaError("invalid_request", `ca: identity ${id} is outside trust domain ${this.trustDomain}`);
    }
    const check = await checkCsr(req.csrPem, req.identity);
    if (!check.ok) throw new CaError("invalid_csr", check.reason);
    const ttl = decideTtl(req.requestedTtlSeconds, this.ttlPolicy);
    if (ttl.clamped) {
      log.warn("requested TTL above maximum; clamped", {
        identity: id,
        requestedSeconds: String(req.requestedTtlSeconds),
        maxSeconds: this.ttlPolicy.maxSeconds,
      });
    }
    const notBefore = new Date(Math.floor(this.#now() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + ttl.ttlSeconds * 1000);
    let leaf: Awaited<ReturnType<typeof signLeaf>>;
    try {
      leaf = await signLeaf(this.#material, {
        publicKey: check.publicKey,
        uris: [id],
        notBefore,
        notAfter,
        usage: "workload",
      });
    } catch (e) {
      throw new CaError("signing_failed", `ca: signing ${id} failed: ${(e as Error).message}`, { cause: e });
    }
    return {
      certChain: [leaf.pem, ...this.#material.intermediatesPem, this.rootsPem],
      serial: leaf.serial,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
      ttlSeconds: ttl.ttlSeconds,
      clamped: ttl.clamped,
    };
  }

  /**
   * A fresh key and certificate for the control plane's own TLS listener (xDS + CA on
   * `Ports.controlPlane`). Not persisted: every start issues a new one under the same root.
   */
  async issueServingCertificate(opts: ServingCertificateOptions = {}): Promise<ServingCertificate> {
    const keys = (await subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const notBefore = new Date(this.#now() - 60_000);
    const ttlMs = (opts.ttlSeconds ?? 365 * 86_400) * 1000;
    const leaf = await signLeaf(this.#material, {
      publicKey: keys.publicKey,
      dnsNames: opts.dnsNames ?? ["localhost"],
      ips: opts.ips ?? ["127.0.0.1", "::1"],
      notBefore,
      notAfter: new Date(notBefore.getTime() + ttlMs),
      usage: "server",
    });
    const keyDer = await subtle.exportKey("pkcs8", keys.privateKey);
    return {
      certChainPem: [leaf.pem, ...this.#material.intermediatesPem].join(""),
      keyPem: `${x509.PemConverter.encode(keyDer, "PRIVATE KEY")}\n`,
      rootsPem: this.rootsPem,
      notAfter: leaf.notAfter,
    };
  }
}

/**
 * Workload certificates keyed by identity (ztunnel's SecretManager). Fetches on demand with
 * concurrent requests for one identity coalesced into one CSR; prefetches for workloads scheduled
 * on this node; renews at half of the lifetime; on failure retries with exponential backoff while
 * the old certificate keeps being served until it expires; at most `maxConcurrent` CSRs in flight.
 * Certificates are handed out with their prebuilt SecureContext — never one per connection.
 */
import type { Identity } from "@ambit/api";
import { formatIdentity } from "@ambit/api";
import { errorMessage } from "../errors.js";
import { createLogger } from "../logger.js";
import type { CertificateSigner } from "./ca-client.js";
import { CertificateError } from "./certificate-error.js";
import { createWorkloadCsr } from "./csr.js";
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF, refreshAt } from "./rotation-policy.js";
import { type WorkloadCertificate, workloadCertificateFromChain } from "./workload-certificate.js";

const log = createLogger("identity.secret-manager");
// setTimeout's ceiling (~24.8 days); longer waits are re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

export type CertificateState = "initializing" | "available" | "unavailable";

/** One identity's state for the config dump (JSON-serializable). */
export interface CertificateStateDump {
  readonly identity: string;
  readonly state: CertificateState;
  readonly serial?: string;
  readonly notBefore?: string;
  readonly notAfter?: string;
  /** Why the state is `unavailable`, or why the last renewal of an `available` certificate failed. */
  readonly reason?: string;
  /** Next renewal or retry. */
  readonly nextAttempt?: string;
  readonly failedAttempts: number;
}

export interface SecretManagerOptions {
  readonly signer: CertificateSigner;
  /** Requested lifetime; default 24 h (ztunnel's SECRET_TTL). The CA may shorten it. */
  readonly ttlSeconds?: number;
  /** Concurrent CSRs; default 8 (ztunnel's limit). */
  readonly maxConcurrent?: number;
  readonly backoff?: BackoffPolicy;
  readonly now?: () => number;
  readonly random?: () => number;
}

interface Slot {
  readonly identity: Identity;
  readonly key: string;
  cert: WorkloadCertificate | undefined;
  inflight: Promise<WorkloadCertificate> | undefined;
  lastError: string | undefined;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  nextAttempt: number | undefined;
  forgotten: boolean;
}

export class SecretManager {
  readonly #slots = new Map<string, Slot>();
  readonly #opts: Required<Omit<SecretManagerOptions, "signer">> & { signer: CertificateSigner };
  #running = 0;
  readonly #queue: (() => void)[] = [];
  #closed = false;

  constructor(opts: SecretManagerOptions) {
    this.#opts = {
      signer: opts.signer,
      ttlSeconds: opts.ttlSeconds ?? 86_400,
      maxConcurrent: opts.maxConcurrent ?? 8,
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      now: opts.now ?? Date.now,
      random: opts.random ?? Math.random,
    };
  }

  /**
   * A valid certificate for `identity`: immediately when one is held, else by joining the request
   * in flight or starting one. Rejects with `unavailable` while a failed identity waits for its
   * retry, so connections fail fast with the reason instead of queueing behind the backoff.
   */
  fetchCertificate(identity: Identity): Promise<WorkloadCertificate> {
    if (this.#closed) return Promise.reject(new CertificateError("closed", "secret manager: closed"));
    const slot = this.#slot(identity);
    const held = this.#valid(slot);
    if (held) return Promise.resolve(held);
    if (slot.inflight) return slot.inflight;
    if (slot.lastError !== undefined && slot.timer) {
      return Promise.reject(
        new CertificateError("unavailable", `certificate for ${slot.key} unavailable: ${slot.lastError}`),
      );
    }
    return this.#start(slot);
  }

  /** Start fetching (and keep renewing) the certificate of a workload scheduled on this node. */
  prefetch(identity: Identity): void {
    if (this.#closed) return;
    const slot = this.#slot(identity);
    if (!this.#valid(slot) && !slot.inflight && !slot.timer) void this.#start(slot);
  }

  /** The held certificate if valid now; never starts a request (for the hot path). */
  findCertificate(identity: Identity): WorkloadCertificate | undefined {
    const slot = this.#slots.get(formatIdentity(identity));
    return slot ? this.#valid(slot) : undefined;
  }

  /** Drop an identity (its last workload left the node): stops renewal, forgets the key. */
  forget(identity: Identity): void {
    const slot = this.#slots.get(formatIdentity(identity));
    if (!slot) return;
    slot.forgotten = true;
    if (slot.timer) clearTimeout(slot.timer);
    this.#slots.delete(slot.key);
  }

  /** Config-dump view, sorted by identity. */
  dump(): CertificateStateDump[] {
    return [...this.#slots.values()]
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map((s) => {
        const cert = this.#valid(s);
        const state: CertificateState = cert
          ? "available"
          : s.lastError !== undefined
            ? "unavailable"
            : "initializing";
        return {
          identity: s.key,
          state,
          ...(cert
            ? {
                serial: cert.serial,
                notBefore: cert.notBefore.toISOString(),
                notAfter: cert.notAfter.toISOString(),
              }
            : {}),
          ...(s.lastError !== undefined ? { reason: s.lastError } : {}),
          ...(s.nextAttempt !== undefined ? { nextAttempt: new Date(s.nextAttempt).toISOString() } : {}),
          failedAttempts: s.failures,
        };
      });
  }

  /** Stop all timers; pending fetches still settle. */
  close(): void {
    this.#closed = true;
    for (const s of this.#slots.values()) {
      s.forgotten = true;
      if (s.timer) clearTimeout(s.timer);
    }
    this.#slots.clear();
  }

  #slot(identity: Identity): Slot {
    const key = formatIdentity(identity);
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = {
        identity,
        key,
        cert: undefined,
        inflight: undefined,
        lastError: undefined,
        failures: 0,
        timer: undefined,
        nextAttempt: undefined,
        forgotten: false,
      };
      this.#slots.set(key, slot);
    }
    return slot;
  }

  #valid(slot: Slot): WorkloadCertificate | undefined {
    const c = slot.cert;
    const now = this.#opts.now();
    return c && now >= c.notBefore.getTime() && now < c.notAfter.getTime() ? c : undefined;
  }

  #start(slot: Slot): Promise<WorkloadCertificate> {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.nextAttempt = undefined;
    const p = this.#limited(async () => {
      const csr = await createWorkloadCsr(slot.identity);
      const chain = await this.#opts.signer.sign(slot.identity, csr.csrPem, this.#opts.ttlSeconds);
      return workloadCertificateFromChain(slot.identity, chain, csr);
    });
    slot.inflight = p;
    p.then(
      (cert) => {
        slot.inflight = undefined;
        if (slot.forgotten) return;
        const renewed = slot.cert !== undefined;
        slot.cert = cert;
        slot.lastError = undefined;
        slot.failures = 0;
        this.#schedule(slot, refreshAt(cert.notBefore, cert.notAfter));
        log.info(renewed ? "certificate renewed" : "certificate issued", {
          identity: slot.key,
          serial: cert.serial,
          notAfter: cert.notAfter.toISOString(),
        });
      },
      (e: unknown) => {
        slot.inflight = undefined;
        if (slot.forgotten) return;
        slot.failures++;
        slot.lastError = errorMessage(e);
        const delay = backoffDelay(slot.failures, this.#opts.random(), this.#opts.backoff);
        this.#schedule(slot, this.#opts.now() + delay);
        log.warn("certificate request failed; will retry", {
          identity: slot.key,
          attempt: slot.failures,
          retryInMs: delay,
          stillServing: this.#valid(slot)?.serial,
          error: e,
        });
      },
    );
    return p;
  }

  #schedule(slot: Slot, at: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.nextAttempt = at;
    const delay = Math.max(0, at - this.#opts.now());
    slot.timer = setTimeout(
      () => {
        slot.timer = undefined;
        if (slot.forgotten) return;
        if (this.#opts.now() < at) this.#schedule(slot, at);
        else void this.#start(slot).catch(() => undefined);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    slot.timer.unref();
  }

  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#opts.maxConcurrent) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }
}

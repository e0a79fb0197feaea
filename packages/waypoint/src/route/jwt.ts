import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { ConfigError } from "../config/config-error.js";
import type { JwtRule } from "../config/types.js";

/** One usable key of a JWKS. */
export interface JwkKey {
  readonly kid: string | undefined;
  readonly alg: "RS256" | "ES256";
  readonly key: KeyObject;
}

/** A RequestAuthentication rule with its keys parsed once (never per request). */
export interface CompiledJwtRule {
  readonly rule: JwtRule;
  readonly keys: readonly JwkKey[];
}

/** Parse a JWKS document; only RSA (RS256) and P-256 EC (ES256) signing keys are kept. */
export function parseJwks(text: string, where: string): JwkKey[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError("invalid_config", `invalid JWKS JSON in ${where}`, { cause: e });
  }
  const list = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(list)) throw new ConfigError("invalid_config", `JWKS without keys in ${where}`);
  const out: JwkKey[] = [];
  for (const k of list as Record<string, unknown>[]) {
    if (k["use"] !== undefined && k["use"] !== "sig") continue;
    const alg =
      k["kty"] === "RSA" ? "RS256" : k["kty"] === "EC" && k["crv"] === "P-256" ? "ES256" : undefined;
    if (!alg || (k["alg"] !== undefined && k["alg"] !== alg)) continue;
    try {
      const key = createPublicKey({ key: k as import("node:crypto").JsonWebKey, format: "jwk" });
      out.push({ kid: typeof k["kid"] === "string" ? k["kid"] : undefined, alg, key });
    } catch (e) {
      throw new ConfigError("invalid_config", `unusable JWK in ${where}`, { cause: e });
    }
  }
  return out;
}

/** Parse every rule's JWKS (inline, else from `jwksFile` via `readFile`). Throws {@link ConfigError}. */
export function compileJwtRules(
  rules: readonly JwtRule[],
  readFile: (path: string) => string,
): CompiledJwtRule[] {
  return rules.map((rule) => {
    let text = rule.jwks;
    if (text === "" && rule.jwksFile !== "") {
      try {
        text = readFile(rule.jwksFile);
      } catch (e) {
        throw new ConfigError("jwks_unreadable", `cannot read JWKS file ${rule.jwksFile} of ${rule.name}`, {
          cause: e,
        });
      }
    }
    return { rule, keys: text === "" ? [] : parseJwks(text, rule.name) };
  });
}

/** Outcome of request authentication. `none`: no token (policy may still require one). */
export type JwtResult =
  | { readonly t: "none" }
  | { readonly t: "ok"; readonly principal: string; readonly claims: Readonly<Record<string, unknown>> }
  | { readonly t: "invalid"; readonly reason: string };

const NONE: JwtResult = Object.freeze({ t: "none" });

function b64json(part: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Clock skew tolerated on `exp`/`nbf` (Envoy's default is 60 s). */
const SKEW_S = 60;

/**
 * Istio RequestAuthentication semantics: rules that apply to `service` name the headers a token
 * may come in; no token → `none`; a token that is malformed, from an unknown issuer, badly
 * signed, expired, not yet valid or for another audience → `invalid` (the caller answers 401).
 */
export function authenticateJwt(
  rules: readonly CompiledJwtRule[],
  service: string,
  header: (name: string) => string | undefined,
  nowS: number,
): JwtResult {
  const applicable = rules.filter((r) => r.rule.services.length === 0 || r.rule.services.includes(service));
  if (applicable.length === 0) return NONE;
  let token: string | undefined;
  for (const r of applicable) {
    for (const h of r.rule.fromHeaders) {
      const v = header(h);
      if (v === undefined) continue;
      token = h === "authorization" ? (/^Bearer\s+(.+)$/i.exec(v)?.[1] ?? undefined) : v;
      if (token) break;
    }
    if (token) break;
  }
  if (!token) return NONE;
  const parts = token.split(".");
  const [h64, p64, s64] = parts;
  if (parts.length !== 3 || !h64 || !p64 || s64 === undefined)
    return { t: "invalid", reason: "Jwt is not in the form of Header.Payload.Signature" };
  const head = b64json(h64);
  const claims = b64json(p64);
  if (!head || !claims) return { t: "invalid", reason: "Jwt header or payload is not valid JSON" };
  const iss = claims["iss"];
  const compiled = applicable.find((r) => r.rule.issuer === iss);
  if (!compiled) return { t: "invalid", reason: "Jwt issuer is not configured" };
  const alg = head["alg"];
  if (alg !== "RS256" && alg !== "ES256")
    return { t: "invalid", reason: `Jwt algorithm ${String(alg)} is not supported` };
  const kid = typeof head["kid"] === "string" ? head["kid"] : undefined;
  const candidates = compiled.keys.filter(
    (k) => k.alg === alg && (kid === undefined || k.kid === undefined || k.kid === kid),
  );
  const data = Buffer.from(`${h64}.${p64}`);
  const sig = Buffer.from(s64, "base64url");
  const ok = candidates.some((k) =>
    verify("sha256", data, alg === "ES256" ? { key: k.key, dsaEncoding: "ieee-p1363" } : k.key, sig),
  );
  if (!ok) return { t: "invalid", reason: "Jwt verification fails" };
  const exp = claims["exp"];
  if (typeof exp === "number" && nowS > exp + SKEW_S) return { t: "invalid", reason: "Jwt is expired" };
  const nbf = claims["nbf"];
  if (typeof nbf === "number" && nowS + SKEW_S < nbf) return { t: "invalid", reason: "Jwt not yet valid" };
  const want = compiled.rule.audiences;
  if (want.length > 0) {
    const aud = claims["aud"];
    const have = Array.isArray(aud) ? aud.map(String) : aud === undefined ? [] : [String(aud)];
    if (!have.some((a) => want.includes(a)))
      return { t: "invalid", reason: "Audiences in Jwt are not allowed" };
  }
  return { t: "ok", principal: `${String(iss)}/${String(claims["sub"] ?? "")}`, claims };
}

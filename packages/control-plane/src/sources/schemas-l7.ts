import { z } from "zod";
import { labelMap, metadata, port, securityApi, selector, strings, targetRef } from "./schema-common.js";

/**
 * Schemas of the two Istio kinds only a waypoint acts on: VirtualService (fault injection) and
 * RequestAuthentication (JWT). The parts that decide *which* requests are affected (matches, JWT
 * rules) are strict objects: a misspelt `uri` would otherwise turn a fault for `/slow` into a
 * fault for every request, a misspelt `issuer` would drop a rule. Everything else is loose.
 */

/**
 * Durations as people write them in Istio YAML: protobuf JSON (`5s`, `0.25s`) or Go-style unit
 * groups (`1m30s`, `250ms`). Converted to milliseconds by the translator.
 */
export const ISTIO_DURATION = /^(?:[0-9]{1,9}(?:\.[0-9]{1,9})?s|(?:[0-9]{1,9}(?:h|ms|m|s)){1,4})$/;
const duration = z.string().regex(ISTIO_DURATION, "must be a duration like 5s, 0.5s or 250ms");

const stringMatch = z
  .strictObject({ exact: z.string().optional(), prefix: z.string().optional(), regex: z.string().optional() })
  .refine(
    (m) => [m.exact, m.prefix, m.regex].filter((v) => v !== undefined).length === 1,
    "set exactly one of exact, prefix, regex",
  )
  .refine((m) => m.regex === undefined || isRegex(m.regex), "regex does not compile");

function isRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

/** Every field of Istio's HTTPMatchRequest, so a typo is an error; the translator rejects unsupported ones. */
const matchRequest = z.strictObject({
  name: z.string().optional(),
  uri: stringMatch.optional(),
  scheme: stringMatch.optional(),
  method: stringMatch.optional(),
  authority: stringMatch.optional(),
  headers: z.record(z.string().min(1), stringMatch).optional(),
  port: port.optional(),
  sourceLabels: labelMap.optional(),
  gateways: strings,
  queryParams: z.record(z.string().min(1), stringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  withoutHeaders: z.record(z.string().min(1), stringMatch).optional(),
  sourceNamespace: z.string().optional(),
  statPrefix: z.string().optional(),
});

const destination = z.strictObject({
  host: z.string().min(1),
  subset: z.string().optional(),
  port: z.strictObject({ number: port }).optional(),
});

const percentage = z.strictObject({ value: z.number().min(0).max(100) });

const fault = z.strictObject({
  delay: z
    .strictObject({
      fixedDelay: duration,
      percentage: percentage.optional(),
      percent: z.number().int().min(0).max(100).optional(),
    })
    .optional(),
  abort: z
    .strictObject({
      httpStatus: z.number().int().min(200).max(599),
      percentage: percentage.optional(),
    })
    .optional(),
});

const httpRoute = z.looseObject({
  name: z.string().optional(),
  match: z.array(matchRequest).optional(),
  route: z
    .array(z.looseObject({ destination, weight: z.number().int().min(0).max(100).optional() }))
    .optional(),
  fault: fault.optional(),
});

const networkingApi = z.enum([
  "networking.istio.io/v1",
  "networking.istio.io/v1beta1",
  "networking.istio.io/v1alpha3",
]);

export const VirtualServiceSchema = z.looseObject({
  apiVersion: networkingApi,
  kind: z.literal("VirtualService"),
  metadata,
  spec: z.looseObject({
    hosts: z.array(z.string().min(1)).min(1),
    gateways: strings,
    http: z.array(httpRoute).default([]),
  }),
});

/** `file:///abs/path` (read by the waypoint) or an http(s) URL (not fetched: reported by the translator). */
function isJwksUri(s: string): boolean {
  return /^file:\/\/\/./.test(s) || /^https?:\/\/[^/\s]+/.test(s);
}

function isJwksJson(s: string): boolean {
  try {
    const doc: unknown = JSON.parse(s);
    return typeof doc === "object" && doc !== null && Array.isArray((doc as { keys?: unknown }).keys);
  } catch {
    return false;
  }
}

const jwtRule = z
  .strictObject({
    issuer: z.string().min(1),
    audiences: strings,
    jwksUri: z.string().refine(isJwksUri, "must be a file:///path or http(s):// URL").optional(),
    jwks: z.string().refine(isJwksJson, 'must be a JSON Web Key Set ({"keys": [...]})').optional(),
    fromHeaders: z
      .array(z.strictObject({ name: z.string().min(1), prefix: z.string().optional() }))
      .optional(),
    fromParams: strings,
    fromCookies: strings,
    outputPayloadToHeader: z.string().optional(),
    outputClaimToHeaders: z.array(z.strictObject({ header: z.string(), claim: z.string() })).optional(),
    forwardOriginalToken: z.boolean().optional(),
    timeout: duration.optional(),
  })
  .refine((r) => r.jwks === undefined || r.jwksUri === undefined, "set jwks or jwksUri, not both");

export const RequestAuthenticationSchema = z.looseObject({
  apiVersion: securityApi,
  kind: z.literal("RequestAuthentication"),
  metadata,
  spec: z
    .strictObject({
      selector: selector.optional(),
      targetRef: targetRef.optional(),
      targetRefs: z.array(targetRef).optional(),
      jwtRules: z.array(jwtRule).default([]),
    })
    .default({ jwtRules: [] })
    .refine(
      (s) => s.selector === undefined || (s.targetRef === undefined && s.targetRefs === undefined),
      "selector and targetRef(s) are mutually exclusive",
    ),
});

import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import type { MeshConfig } from "../model/mesh-config.js";
import type { HTTPRouteObject } from "../sources/config-object.js";

/**
 * HTTPRoute rule content → waypoint `Route`s. The source schema keeps rules loose (it only needs
 * parentRefs to index routes), so the rule fields the waypoint acts on are validated here; a rule
 * that fails validation is dropped whole and reported, never half-applied.
 */

const name = z.string().min(1);
const stringMatchType = z.enum(["Exact", "RegularExpression"]).default("Exact");
const headerMatch = z.looseObject({ type: stringMatchType, name, value: z.string() });
const match = z.looseObject({
  path: z
    .looseObject({
      type: z.enum(["Exact", "PathPrefix", "RegularExpression"]).default("PathPrefix"),
      value: z.string().default("/"),
    })
    .optional(),
  headers: z.array(headerMatch).default([]),
  queryParams: z.array(headerMatch).default([]),
  method: z.enum(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]).optional(),
});
const header = z.looseObject({ name, value: z.string() });
const headerModifier = z.looseObject({
  set: z.array(header).default([]),
  add: z.array(header).default([]),
  remove: z.array(name).default([]),
});
const pathModifier = z.looseObject({
  type: z.enum(["ReplaceFullPath", "ReplacePrefixMatch"]),
  replaceFullPath: z.string().optional(),
  replacePrefixMatch: z.string().optional(),
});
const port = z.number().int().min(1).max(65535);
const backendRef = z.looseObject({
  group: z.string().optional(),
  kind: z.string().default("Service"),
  name,
  namespace: z.string().optional(),
  port: port.optional(),
});
const filter = z.looseObject({
  type: z.enum([
    "RequestHeaderModifier",
    "ResponseHeaderModifier",
    "RequestRedirect",
    "URLRewrite",
    "RequestMirror",
  ]),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
  requestRedirect: z
    .looseObject({
      scheme: z.enum(["http", "https"]).optional(),
      hostname: z.string().optional(),
      path: pathModifier.optional(),
      port: port.optional(),
      statusCode: z.union([z.literal(301), z.literal(302)]).default(302),
    })
    .optional(),
  urlRewrite: z.looseObject({ hostname: z.string().optional(), path: pathModifier.optional() }).optional(),
  requestMirror: z
    .looseObject({
      backendRef,
      percent: z.number().min(0).max(100).optional(),
      fraction: z
        .looseObject({
          numerator: z.number().int().min(0),
          denominator: z.number().int().min(1).default(100),
        })
        .optional(),
    })
    .optional(),
});
/** Gateway API duration (GEP-2257): 1–4 groups of digits + h|m|s|ms, e.g. `1m30s`, `250ms`. */
const duration = z
  .string()
  .regex(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/, "must be a Gateway API duration like 10s or 250ms");
const rule = z.looseObject({
  matches: z.array(match).default([]),
  filters: z.array(filter).default([]),
  backendRefs: z
    .array(
      backendRef.extend({
        weight: z.number().int().min(0).max(1_000_000).default(1),
        filters: z.array(filter).default([]),
      }),
    )
    .default([]),
  timeouts: z.looseObject({ request: duration.optional(), backendRequest: duration.optional() }).optional(),
  retry: z
    .looseObject({
      codes: z.array(z.number().int().min(400).max(599)).default([]),
      attempts: z.number().int().min(0).max(100).optional(),
      backoff: duration.optional(),
    })
    .optional(),
});

type Rule = z.output<typeof rule>;
type Filter = z.output<typeof filter>;

/** Milliseconds of a GEP-2257 duration (already validated). */
export function durationMs(d: string | undefined): number {
  if (d === undefined) return 0;
  let ms = 0;
  for (const m of d.matchAll(/([0-9]+)(ms|h|m|s)/g)) {
    const n = Number(m[1]);
    ms += m[2] === "h" ? n * 3_600_000 : m[2] === "m" ? n * 60_000 : m[2] === "s" ? n * 1000 : n;
  }
  return ms;
}

/** One dropped rule, for the controller status. */
export interface RouteProblem {
  readonly route: string;
  readonly message: string;
}

function stringMatch(
  kind: "Exact" | "PathPrefix" | "RegularExpression",
  value: string,
): pb.waypoint.StringMatch {
  const K = pb.waypoint.StringMatch_Kind;
  const k = kind === "Exact" ? K.EXACT : kind === "PathPrefix" ? K.PREFIX : K.REGEX;
  return create(pb.waypoint.StringMatchSchema, { kind: k, value });
}

function headerMatches(list: Rule["matches"][number]["headers"]): pb.waypoint.HeaderMatch[] {
  return list.map((h) =>
    create(pb.waypoint.HeaderMatchSchema, { name: h.name, value: stringMatch(h.type, h.value) }),
  );
}

function modifier(m: z.output<typeof headerModifier> | undefined): pb.waypoint.HeaderModifier | undefined {
  if (!m) return undefined;
  return create(pb.waypoint.HeaderModifierSchema, {
    set: m.set.map((h) => create(pb.waypoint.HeaderSchema, { name: h.name.toLowerCase(), value: h.value })),
    add: m.add.map((h) => create(pb.waypoint.HeaderSchema, { name: h.name.toLowerCase(), value: h.value })),
    remove: m.remove.map((h) => h.toLowerCase()),
  });
}

function pathMod(p: z.output<typeof pathModifier> | undefined): pb.waypoint.PathModifier | undefined {
  if (!p) return undefined;
  const K = pb.waypoint.PathModifier_Kind;
  return p.type === "ReplaceFullPath"
    ? create(pb.waypoint.PathModifierSchema, { kind: K.FULL, value: p.replaceFullPath ?? "/" })
    : create(pb.waypoint.PathModifierSchema, { kind: K.PREFIX, value: p.replacePrefixMatch ?? "/" });
}

function host(ref: { name: string; namespace?: string | undefined }, ns: string, mesh: MeshConfig): string {
  return `${ref.name}.${ref.namespace ?? ns}.svc.${mesh.domainSuffix}`;
}

function find<T extends Filter["type"]>(filters: readonly Filter[], t: T): Filter | undefined {
  return filters.find((f) => f.type === t);
}

/**
 * Convert one HTTPRoute into Routes named `<ns>/<name>/<rule index>`. `defaultPort` is the port a
 * backendRef without `port` uses (the parent Service port the route is attached on, 0 = same as
 * the request). Invalid rules are skipped and listed in `problems`.
 */
export function convertHttpRoute(
  route: HTTPRouteObject,
  mesh: MeshConfig,
  listenerPort: number,
): { routes: pb.waypoint.Route[]; problems: RouteProblem[] } {
  const ns = route.metadata.namespace;
  const routes: pb.waypoint.Route[] = [];
  const problems: RouteProblem[] = [];
  route.spec.rules.forEach((raw, i) => {
    const id = `${ns}/${route.metadata.name}/${i}`;
    const parsed = rule.safeParse(raw);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      problems.push({
        route: id,
        message: `invalid rule: ${first?.path.join(".")} ${first?.message ?? ""}`.trim(),
      });
      return;
    }
    const r = parsed.data;
    const badKind = r.backendRefs.find((b) => b.kind !== "Service");
    if (badKind) {
      problems.push({ route: id, message: `unsupported backendRef kind: ${badKind.kind}` });
      return;
    }
    const redirect = find(r.filters, "RequestRedirect")?.requestRedirect;
    const rewrite = find(r.filters, "URLRewrite")?.urlRewrite;
    const reqMod = modifier(find(r.filters, "RequestHeaderModifier")?.requestHeaderModifier);
    const respMod = modifier(find(r.filters, "ResponseHeaderModifier")?.responseHeaderModifier);
    const retry = r.retry;
    routes.push(
      create(pb.waypoint.RouteSchema, {
        name: id,
        hostnames: [...(route.spec.hostnames ?? [])],
        port: listenerPort,
        matches: r.matches.map((m) =>
          create(pb.waypoint.RouteMatchSchema, {
            ...(m.path ? { path: stringMatch(m.path.type, m.path.value) } : {}),
            headers: headerMatches(m.headers),
            queryParams: headerMatches(m.queryParams),
            method: m.method ?? "",
          }),
        ),
        backends: r.backendRefs.map((b) =>
          create(pb.waypoint.WeightedBackendSchema, {
            hostname: host(b, ns, mesh),
            port: b.port ?? 0,
            weight: b.weight,
            ...optional(
              "requestHeaders",
              modifier(find(b.filters, "RequestHeaderModifier")?.requestHeaderModifier),
            ),
            ...optional(
              "responseHeaders",
              modifier(find(b.filters, "ResponseHeaderModifier")?.responseHeaderModifier),
            ),
          }),
        ),
        ...optional("requestHeaders", reqMod),
        ...optional("responseHeaders", respMod),
        ...optional(
          "redirect",
          redirect &&
            create(pb.waypoint.RedirectSchema, {
              scheme: redirect.scheme ?? "",
              hostname: redirect.hostname ?? "",
              port: redirect.port ?? 0,
              statusCode: redirect.statusCode,
              ...optional("path", pathMod(redirect.path)),
            }),
        ),
        ...optional(
          "rewrite",
          rewrite &&
            create(pb.waypoint.RewriteSchema, {
              hostname: rewrite.hostname ?? "",
              ...optional("path", pathMod(rewrite.path)),
            }),
        ),
        mirrors: r.filters
          .filter((f) => f.type === "RequestMirror" && f.requestMirror)
          .map((f) => {
            const m = f.requestMirror as NonNullable<Filter["requestMirror"]>;
            const pct =
              m.percent ?? (m.fraction ? (100 * m.fraction.numerator) / m.fraction.denominator : 100);
            return create(pb.waypoint.MirrorSchema, {
              hostname: host(m.backendRef, ns, mesh),
              port: m.backendRef.port ?? 0,
              percent: Math.min(100, pct),
            });
          }),
        ...optional(
          "timeouts",
          r.timeouts &&
            create(pb.waypoint.TimeoutsSchema, {
              requestMs: durationMs(r.timeouts.request),
              backendRequestMs: durationMs(r.timeouts.backendRequest),
            }),
        ),
        ...optional(
          "retry",
          retry &&
            create(pb.waypoint.RetrySchema, {
              // GEP-1731: `attempts` counts retries; unset → Istio's default of 2.
              attempts: retry.attempts ?? 2,
              codes: retry.codes,
              backoffMs: durationMs(retry.backoff),
            }),
        ),
      }),
    );
  });
  return { routes, problems };
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { LocalError } from "../local-error.js";
import {
  type AppliedObject,
  type ContainerSpec,
  type ManifestObject,
  type ObjectMeta,
  objectKey,
  PASSTHROUGH_KINDS,
  type PodSpec,
} from "./manifest-types.js";

const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label (lower-case alphanumerics and '-')");
const stringMap = z.record(z.string(), z.string()).optional();
const metaSchema = z.looseObject({
  name: dnsLabel,
  namespace: dnsLabel.optional(),
  labels: stringMap,
  annotations: stringMap,
});
const portNumber = z.number().int().min(1).max(65535);
const protocol = z.enum(["TCP", "UDP"]).default("TCP");
const containerSchema = z.looseObject({
  name: dnsLabel,
  command: z
    .array(z.string(), { error: "local mode runs no images: `command` is required" })
    .min(1, "local mode runs no images: `command` is required"),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z
    .array(
      z.looseObject({
        name: z.string().min(1),
        value: z.string().optional(),
        valueFrom: z.looseObject({ fieldRef: z.looseObject({ fieldPath: z.string() }) }).optional(),
      }),
    )
    .optional(),
  ports: z
    .array(z.looseObject({ containerPort: portNumber, name: z.string().optional(), protocol }))
    .optional(),
});
const podSpecSchema = z.looseObject({
  serviceAccountName: dnsLabel.optional(),
  nodeName: z.string().optional(),
  containers: z.array(containerSchema).min(1),
});
const deploymentSchema = z.looseObject({
  metadata: metaSchema,
  spec: z.looseObject({
    replicas: z.number().int().min(0).max(100).default(1),
    selector: z.looseObject({ matchLabels: z.record(z.string(), z.string()) }),
    template: z.looseObject({
      metadata: z.looseObject({ labels: z.record(z.string(), z.string()), annotations: stringMap }),
      spec: podSpecSchema,
    }),
  }),
});
const podSchema = z.looseObject({ metadata: metaSchema, spec: podSpecSchema });
const serviceSchema = z.looseObject({
  metadata: metaSchema,
  spec: z.looseObject({
    selector: stringMap,
    clusterIP: z.string().optional(),
    ports: z
      .array(
        z.looseObject({
          name: z.string().optional(),
          port: portNumber,
          targetPort: z.union([portNumber, z.string().min(1)]).optional(),
          protocol,
        }),
      )
      .min(1),
  }),
});
const namespaceSchema = z.looseObject({ metadata: metaSchema });
const passthroughSchema = z.looseObject({ metadata: metaSchema });
const headerSchema = z.looseObject({ apiVersion: z.string().min(1), kind: z.string().min(1) });

type Meta = z.infer<typeof metaSchema>;

function toMeta(m: Meta, clusterScoped = false): ObjectMeta {
  return {
    name: m.name,
    namespace: clusterScoped ? "" : (m.namespace ?? "default"),
    labels: m.labels ?? {},
    annotations: m.annotations ?? {},
  };
}

function toPodSpec(s: z.infer<typeof podSpecSchema>, where: string): PodSpec {
  const names = new Set<string>();
  const containers: ContainerSpec[] = s.containers.map((c) => {
    if (names.has(c.name))
      throw new LocalError("invalid_manifest", `${where}: duplicate container name ${c.name}`);
    names.add(c.name);
    return {
      name: c.name,
      command: c.command,
      args: c.args ?? [],
      env: (c.env ?? []).map((e) => ({
        name: e.name,
        ...(e.value !== undefined ? { value: e.value } : {}),
        ...(e.valueFrom !== undefined ? { fieldPath: e.valueFrom.fieldRef.fieldPath } : {}),
      })),
      ports: (c.ports ?? []).map((p) => ({
        containerPort: p.containerPort,
        protocol: p.protocol,
        ...(p.name !== undefined ? { name: p.name } : {}),
      })),
      ...(c.workingDir !== undefined ? { workingDir: c.workingDir } : {}),
    };
  });
  return {
    serviceAccountName: s.serviceAccountName ?? "default",
    containers,
    ...(s.nodeName !== undefined ? { nodeName: s.nodeName } : {}),
  };
}

function check<T>(schema: z.ZodType<T>, doc: unknown, where: string): T {
  const r = schema.safeParse(doc);
  if (r.success) return r.data;
  const detail = r.error.issues.map((i) => `${i.path.join(".") || "(document)"}: ${i.message}`).join("; ");
  throw new LocalError("invalid_manifest", `${where}: ${detail}`);
}

/** Turns one parsed YAML document into a typed object (throws `invalid_manifest`/`unsupported_kind`). */
export function objectFromDocument(doc: unknown, sourceDir: string, where: string): AppliedObject {
  const head = check(headerSchema, doc, where);
  const raw = doc as Record<string, unknown>;
  const named = `${where} (${head.kind})`;
  let obj: ManifestObject;
  switch (head.kind) {
    case "Namespace":
      obj = { kind: "Namespace", meta: toMeta(check(namespaceSchema, doc, named).metadata, true) };
      break;
    case "Pod": {
      const p = check(podSchema, doc, named);
      obj = { kind: "Pod", meta: toMeta(p.metadata), spec: toPodSpec(p.spec, named) };
      break;
    }
    case "Deployment": {
      const d = check(deploymentSchema, doc, named);
      const tl = d.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) {
        if (tl[k] !== v)
          throw new LocalError(
            "invalid_manifest",
            `${named}: selector ${k}=${v} does not match the template labels`,
          );
      }
      obj = {
        kind: "Deployment",
        meta: toMeta(d.metadata),
        replicas: d.spec.replicas,
        selector: d.spec.selector.matchLabels,
        template: {
          labels: tl,
          annotations: d.spec.template.metadata.annotations ?? {},
          spec: toPodSpec(d.spec.template.spec, named),
        },
      };
      break;
    }
    case "Service": {
      const s = check(serviceSchema, doc, named);
      obj = {
        kind: "Service",
        meta: toMeta(s.metadata),
        ports: s.spec.ports.map((p, i) => ({
          name: p.name ?? (s.spec.ports.length === 1 ? "" : `port-${i}`),
          port: p.port,
          protocol: p.protocol,
          targetPort: p.targetPort ?? p.port,
        })),
        ...(s.spec.selector !== undefined ? { selector: s.spec.selector } : {}),
        ...(s.spec.clusterIP !== undefined ? { clusterIP: s.spec.clusterIP } : {}),
      };
      break;
    }
    default:
      if (!PASSTHROUGH_KINDS.has(head.kind)) {
        throw new LocalError(
          "unsupported_kind",
          `${where}: kind ${head.kind} is not supported in local mode (supported: Namespace, Pod, Deployment, Service, ${[...PASSTHROUGH_KINDS].join(", ")})`,
        );
      }
      obj = { kind: head.kind, meta: toMeta(check(passthroughSchema, doc, named).metadata) };
  }
  const key = objectKey(obj.kind, obj.meta.namespace, obj.meta.name);
  return { key, obj, raw, sourceDir };
}

/**
 * Parses a multi-document YAML text. Empty documents are skipped; any bad document fails the
 * whole text (applying half a file would leave the cluster in a state nobody asked for).
 */
export function parseManifestText(text: string, file: string): AppliedObject[] {
  const out: AppliedObject[] = [];
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new LocalError("invalid_manifest", `${file}: not a YAML stream`);
  docs.forEach((d, i) => {
    const where = `${file}: document ${i + 1}`;
    if (d.errors.length > 0)
      throw new LocalError("invalid_manifest", `${where}: ${d.errors[0]?.message ?? "bad YAML"}`);
    const value: unknown = d.toJS();
    if (value === null || value === undefined) return;
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new LocalError(
        "invalid_manifest",
        `${where}: expected a mapping (an object with apiVersion and kind)`,
      );
    }
    out.push(objectFromDocument(value, dirname(resolve(file)), where));
  });
  const seen = new Set<string>();
  for (const o of out) {
    if (seen.has(o.key)) throw new LocalError("invalid_manifest", `${file}: ${o.key} is declared twice`);
    seen.add(o.key);
  }
  return out;
}

/** Reads manifest files and directories (`*.yaml`/`*.yml`, sorted) into applied objects. */
export function loadManifests(paths: readonly string[]): AppliedObject[] {
  const files: string[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new LocalError("invalid_argument", `manifest path not found: ${p}`);
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.ya?ml$/.test(f)) files.push(join(p, f));
    } else files.push(p);
  }
  const all: AppliedObject[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    for (const o of parseManifestText(readFileSync(f, "utf8"), f)) {
      const prev = seen.get(o.key);
      if (prev !== undefined)
        throw new LocalError("invalid_manifest", `${o.key} is declared in both ${prev} and ${f}`);
      seen.set(o.key, f);
      all.push(o);
    }
  }
  return all;
}

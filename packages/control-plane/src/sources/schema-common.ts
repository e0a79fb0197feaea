import { isIP } from "node:net";
import { z } from "zod";

/** Building blocks shared by the per-kind schemas (metadata, ports, selectors, target refs). */

export const labelMap = z.record(z.string(), z.string());

const ownerReference = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().min(1),
  name: z.string().min(1),
  uid: z.string().optional(),
  controller: z.boolean().optional(),
});

// DNS-1123 subdomain: what Kubernetes accepts for most object names.
export const objectName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS-1123 name");

export const metadata = z.looseObject({
  name: objectName,
  namespace: objectName.optional(),
  uid: z.string().optional(),
  labels: labelMap.default({}),
  annotations: labelMap.default({}),
  creationTimestamp: z.string().optional(),
  ownerReferences: z.array(ownerReference).default([]),
});

export const port = z.number().int().min(1).max(65535);
export const ipAddress = z.string().refine((s) => isIP(s) !== 0, "must be an IP address");

/** `1.2.3.4`, `1.2.3.0/24`, `2001:db8::/32`: what ipBlocks and `source.ip` accept. */
export function isIpOrCidr(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return isIP(s) !== 0;
  const fam = isIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (fam === 0 || !/^[0-9]{1,3}$/.test(bits)) return false;
  return Number(bits) <= (fam === 4 ? 32 : 128);
}

/** Port given as a string (the API type) or a number (what people type in YAML). */
export function isPortText(s: string): boolean {
  return /^[0-9]{1,5}$/.test(s) && Number(s) >= 1 && Number(s) <= 65535;
}
export const portString = z
  .union([z.string(), z.number()])
  .transform(String)
  .refine(isPortText, "must be a port number 1-65535");
export const cidrString = z.string().refine(isIpOrCidr, "must be an IP address or CIDR");

export const strings = z.array(z.string()).optional();
export const selector = z.strictObject({ matchLabels: labelMap.optional() });
export const targetRef = z.looseObject({ group: z.string().optional(), kind: z.string(), name: z.string() });
export const securityApi = z.enum(["security.istio.io/v1", "security.istio.io/v1beta1"]);

import type { z } from "zod";
import type { SourceLocation } from "../status/config-issue.js";
import type {
  AuthorizationPolicySchema,
  ConfigKind,
  GatewaySchema,
  HTTPRouteSchema,
  NamespaceSchema,
  PeerAuthenticationSchema,
  PodSchema,
  ServiceSchema,
} from "./schemas.js";
import type { RequestAuthenticationSchema, VirtualServiceSchema } from "./schemas-l7.js";

/**
 * Typed, validated config objects: what every source (file today, Kubernetes informers later)
 * hands to the snapshot builder. Objects are deeply frozen; `namespace` is always filled in
 * (`default` when omitted, `""` for the cluster-scoped Namespace kind).
 */

type WithNs<T extends { metadata: object }> = T & {
  readonly metadata: T["metadata"] & { readonly namespace: string };
  /** Where the object was read from (file sources); used to point status messages at a line. */
  readonly origin?: SourceLocation;
};

export type NamespaceObject = WithNs<z.output<typeof NamespaceSchema>>;
export type PodObject = WithNs<z.output<typeof PodSchema>>;
export type ServiceObject = WithNs<z.output<typeof ServiceSchema>>;
export type AuthorizationPolicyObject = WithNs<z.output<typeof AuthorizationPolicySchema>>;
export type PeerAuthenticationObject = WithNs<z.output<typeof PeerAuthenticationSchema>>;
export type GatewayObject = WithNs<z.output<typeof GatewaySchema>>;
export type HTTPRouteObject = WithNs<z.output<typeof HTTPRouteSchema>>;
export type VirtualServiceObject = WithNs<z.output<typeof VirtualServiceSchema>>;
export type RequestAuthenticationObject = WithNs<z.output<typeof RequestAuthenticationSchema>>;

export type ConfigObject =
  | NamespaceObject
  | PodObject
  | ServiceObject
  | AuthorizationPolicyObject
  | PeerAuthenticationObject
  | GatewayObject
  | HTTPRouteObject
  | VirtualServiceObject
  | RequestAuthenticationObject;

export type { ConfigKind };

/** Identity of an object across versions: `Kind/namespace/name` (namespace empty when cluster-scoped). */
export type ConfigKey = string;

export function configKey(kind: string, namespace: string, name: string): ConfigKey {
  return `${kind}/${namespace}/${name}`;
}

export function keyOf(o: ConfigObject): ConfigKey {
  return configKey(o.kind, o.metadata.namespace, o.metadata.name);
}

/** Namespace used when a namespaced object does not name one (kubectl's default context namespace). */
export const DEFAULT_NAMESPACE = "default";

/** Freeze an object graph in place; config objects are shared by every snapshot that holds them. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

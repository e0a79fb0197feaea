import { isIP } from "node:net";
import { z } from "zod";
import {
  cidrString,
  ipAddress,
  isIpOrCidr,
  isPortText,
  labelMap,
  metadata,
  objectName,
  port,
  portString,
  securityApi,
  selector,
  strings,
  targetRef,
} from "./schema-common.js";
import { RequestAuthenticationSchema, VirtualServiceSchema } from "./schemas-l7.js";

export { isIpOrCidr };

/**
 * zod schemas for the Kubernetes-style objects the control plane reads. Validation happens here,
 * at the boundary (style rule 2): translation only ever sees typed, checked objects. Security
 * resources (AuthorizationPolicy, PeerAuthentication) use strict objects, so a misspelt field such
 * as `notPrincipal` is an error instead of being silently ignored (which would widen access);
 * Pod/Service/Gateway/HTTPRoute are loose because real manifests carry many fields we do not use.
 */

export const NamespaceSchema = z.looseObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("Namespace"),
  metadata,
});

const containerPort = z.looseObject({
  name: z.string().optional(),
  containerPort: port,
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
});

export const PodSchema = z.looseObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("Pod"),
  metadata,
  spec: z
    .looseObject({
      serviceAccountName: objectName.optional(),
      nodeName: z.string().optional(),
      hostNetwork: z.boolean().optional(),
      containers: z
        .array(z.looseObject({ name: z.string().optional(), ports: z.array(containerPort).optional() }))
        .optional(),
    })
    .default({}),
  status: z
    .looseObject({
      phase: z.enum(["Pending", "Running", "Succeeded", "Failed", "Unknown"]).optional(),
      podIP: ipAddress.optional(),
      podIPs: z.array(z.looseObject({ ip: ipAddress })).optional(),
      conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
    })
    .default({}),
});

const servicePort = z.looseObject({
  name: z.string().optional(),
  port,
  targetPort: z.union([port, z.string().min(1)]).optional(),
  appProtocol: z.string().optional(),
  protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
});

const clusterIp = z.string().refine((s) => s === "" || s === "None" || isIP(s) !== 0, {
  message: 'must be an IP address, "None" or empty',
});

export const ServiceSchema = z.looseObject({
  apiVersion: z.literal("v1"),
  kind: z.literal("Service"),
  metadata,
  spec: z
    .looseObject({
      selector: labelMap.optional(),
      ports: z.array(servicePort).default([]),
      clusterIP: clusterIp.optional(),
      clusterIPs: z.array(clusterIp).optional(),
      ipFamilies: z.array(z.enum(["IPv4", "IPv6"])).optional(),
    })
    .default({ ports: [] }),
});

const source = z.strictObject({
  principals: strings,
  notPrincipals: strings,
  requestPrincipals: strings,
  notRequestPrincipals: strings,
  namespaces: strings,
  notNamespaces: strings,
  serviceAccounts: strings,
  notServiceAccounts: strings,
  ipBlocks: z.array(cidrString).optional(),
  notIpBlocks: z.array(cidrString).optional(),
  remoteIpBlocks: z.array(cidrString).optional(),
  notRemoteIpBlocks: z.array(cidrString).optional(),
  trustDomains: strings,
  notTrustDomains: strings,
});

const operation = z.strictObject({
  hosts: strings,
  notHosts: strings,
  ports: z.array(portString).optional(),
  notPorts: z.array(portString).optional(),
  methods: strings,
  notMethods: strings,
  paths: strings,
  notPaths: strings,
});

const condition = z
  .strictObject({ key: z.string().min(1), values: strings, notValues: strings })
  .superRefine((c, ctx) => {
    const check = (ok: (s: string) => boolean, what: string) => {
      for (const field of ["values", "notValues"] as const) {
        (c[field] ?? []).forEach((v, i) => {
          if (!ok(v)) ctx.addIssue({ code: "custom", path: [field, i], message: `must be ${what}` });
        });
      }
    };
    if (c.key === "destination.port") check(isPortText, "a port number 1-65535");
    if (c.key === "source.ip" || c.key === "destination.ip") check(isIpOrCidr, "an IP address or CIDR");
  });

const rule = z.strictObject({
  from: z.array(z.strictObject({ source: source.optional() })).optional(),
  to: z.array(z.strictObject({ operation: operation.optional() })).optional(),
  when: z.array(condition).optional(),
});

export const AuthorizationPolicySchema = z.looseObject({
  apiVersion: securityApi,
  kind: z.literal("AuthorizationPolicy"),
  metadata,
  spec: z
    .strictObject({
      selector: selector.optional(),
      targetRef: targetRef.optional(),
      targetRefs: z.array(targetRef).optional(),
      action: z.enum(["ALLOW", "DENY", "AUDIT", "CUSTOM"]).default("ALLOW"),
      provider: z.looseObject({ name: z.string() }).optional(),
      rules: z.array(rule).optional(),
    })
    .default({ action: "ALLOW" }),
});

const mtlsMode = z.enum(["UNSET", "PERMISSIVE", "STRICT", "DISABLE"]);
const mtls = z.strictObject({ mode: mtlsMode.default("UNSET") });

export const PeerAuthenticationSchema = z.looseObject({
  apiVersion: securityApi,
  kind: z.literal("PeerAuthentication"),
  metadata,
  spec: z
    .strictObject({
      selector: selector.optional(),
      mtls: mtls.optional(),
      portLevelMtls: z
        .record(z.string().refine(isPortText, "port keys must be port numbers 1-65535"), mtls)
        .optional(),
    })
    .default({})
    .superRefine((s, ctx) => {
      // Istio's validation: port-level settings only make sense for a selected workload.
      const hasSelector = Object.keys(s.selector?.matchLabels ?? {}).length > 0;
      if (s.portLevelMtls && Object.keys(s.portLevelMtls).length > 0 && !hasSelector) {
        ctx.addIssue({
          code: "custom",
          path: ["portLevelMtls"],
          message: "portLevelMtls requires a selector",
        });
      }
    }),
});

const gatewayApi = z.enum(["gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"]);

export const GatewaySchema = z.looseObject({
  apiVersion: gatewayApi,
  kind: z.literal("Gateway"),
  metadata,
  spec: z.looseObject({
    gatewayClassName: z.string().min(1),
    listeners: z
      .array(z.looseObject({ name: z.string().min(1), port, protocol: z.string().min(1) }))
      .default([]),
  }),
});

export const HTTPRouteSchema = z.looseObject({
  apiVersion: gatewayApi,
  kind: z.literal("HTTPRoute"),
  metadata,
  spec: z
    .looseObject({
      parentRefs: z.array(z.looseObject({ name: z.string().min(1) })).default([]),
      hostnames: z.array(z.string()).optional(),
      rules: z.array(z.looseObject({})).default([]),
    })
    .default({ parentRefs: [], rules: [] }),
});

/** Schema per supported kind; anything else is reported as `unknown_kind` and ignored. */
export const SCHEMAS = {
  Namespace: NamespaceSchema,
  Pod: PodSchema,
  Service: ServiceSchema,
  AuthorizationPolicy: AuthorizationPolicySchema,
  PeerAuthentication: PeerAuthenticationSchema,
  Gateway: GatewaySchema,
  HTTPRoute: HTTPRouteSchema,
  VirtualService: VirtualServiceSchema,
  RequestAuthentication: RequestAuthenticationSchema,
} as const;

export type ConfigKind = keyof typeof SCHEMAS;

/** Domain types of the Kubernetes-style objects local mode understands (validated by parse-manifests). */

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface EnvVar {
  readonly name: string;
  /** Literal value, or … */
  readonly value?: string;
  /** … a downward-API field: metadata.name, metadata.namespace, status.podIP, spec.nodeName, spec.serviceAccountName. */
  readonly fieldPath?: string;
}

export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol: "TCP" | "UDP";
}

export interface ContainerSpec {
  readonly name: string;
  /** argv[0..]: local mode runs no images, so `command` is required. */
  readonly command: readonly string[];
  readonly args: readonly string[];
  readonly env: readonly EnvVar[];
  readonly ports: readonly ContainerPort[];
  /** Absolute, or relative to the directory of the manifest file that declared it. */
  readonly workingDir?: string;
}

export interface PodSpec {
  readonly serviceAccountName: string;
  readonly nodeName?: string;
  readonly containers: readonly ContainerSpec[];
}

export interface NamespaceObject {
  readonly kind: "Namespace";
  readonly meta: ObjectMeta;
}

export interface PodObject {
  readonly kind: "Pod";
  readonly meta: ObjectMeta;
  readonly spec: PodSpec;
}

export interface DeploymentObject {
  readonly kind: "Deployment";
  readonly meta: ObjectMeta;
  readonly replicas: number;
  readonly selector: Readonly<Record<string, string>>;
  readonly template: {
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly spec: PodSpec;
  };
}

export interface ServicePortSpec {
  readonly name: string;
  readonly port: number;
  readonly protocol: "TCP" | "UDP";
  /** Number, or the name of a container port. */
  readonly targetPort: number | string;
}

export interface ServiceObject {
  readonly kind: "Service";
  readonly meta: ObjectMeta;
  /** Absent: no endpoints are derived (selector-less Service). */
  readonly selector?: Readonly<Record<string, string>>;
  readonly ports: readonly ServicePortSpec[];
  /** Requested VIP (must be inside the service CIDR), or "None" for headless. */
  readonly clusterIP?: string;
}

/** Mesh config the runtime does not interpret; handed to the control plane's config dir as is. */
export interface PassthroughObject {
  readonly kind: string;
  readonly meta: ObjectMeta;
}

export type ManifestObject =
  | NamespaceObject
  | PodObject
  | DeploymentObject
  | ServiceObject
  | PassthroughObject;

/** One applied object: the typed view, the original document, and where it came from. */
export interface AppliedObject {
  /** `<Kind>/<namespace>/<name>` (cluster-scoped kinds use namespace ""). */
  readonly key: string;
  readonly obj: ManifestObject;
  /** The original document (plain JSON), kept so pass-through kinds reach the control plane unchanged. */
  readonly raw: Record<string, unknown>;
  /** Directory of the manifest file; relative `workingDir`s resolve against it. */
  readonly sourceDir: string;
}

/** Kinds passed through to the control plane unchanged. */
export const PASSTHROUGH_KINDS: ReadonlySet<string> = new Set([
  "AuthorizationPolicy",
  "PeerAuthentication",
  "RequestAuthentication",
  "VirtualService",
  "Gateway",
  "HTTPRoute",
  "GRPCRoute",
  "TCPRoute",
  "ServiceEntry",
  "WorkloadEntry",
  "ServiceAccount",
  "Telemetry",
]);

export function isNamespaceObject(o: ManifestObject): o is NamespaceObject {
  return o.kind === "Namespace";
}
export function isPodObject(o: ManifestObject): o is PodObject {
  return o.kind === "Pod";
}
export function isDeploymentObject(o: ManifestObject): o is DeploymentObject {
  return o.kind === "Deployment";
}
export function isServiceObject(o: ManifestObject): o is ServiceObject {
  return o.kind === "Service";
}

export function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

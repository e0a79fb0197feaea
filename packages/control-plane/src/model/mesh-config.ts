import { DEFAULT_TRUST_DOMAIN } from "@ambit/api";

/**
 * Mesh-wide settings that shape translation (Istio's MeshConfig subset). They travel inside the
 * snapshot so generators stay pure functions of one argument.
 */
export interface MeshConfig {
  /** Cluster id used in workload uids (`<cluster>//Pod/<ns>/<name>`). Istio default `Kubernetes`. */
  readonly clusterId: string;
  /** Namespace whose selector-less policies are mesh-wide (scope GLOBAL). Istio default `istio-system`. */
  readonly rootNamespace: string;
  /** DNS suffix of service hostnames: `<svc>.<ns>.svc.<domainSuffix>`. */
  readonly domainSuffix: string;
  /** SPIFFE trust domain; sent as empty when it is the default `cluster.local` (as istiod does). */
  readonly trustDomain: string;
  /** Network of every workload and service address (`""` = the default network). */
  readonly network: string;
  /**
   * Send `istio.io/dry-run` policies with `dry_run=true` (istiod: `ENABLE_WDS_DRY_RUN_AUTHZ_POL`).
   * When false they are not sent at all and a warning is reported.
   */
  readonly enableDryRun: boolean;
}

export const DEFAULT_MESH_CONFIG: MeshConfig = Object.freeze({
  clusterId: "Kubernetes",
  rootNamespace: "istio-system",
  domainSuffix: "cluster.local",
  trustDomain: DEFAULT_TRUST_DOMAIN,
  network: "",
  enableDryRun: true,
});

export function meshConfig(overrides: Partial<MeshConfig> = {}): MeshConfig {
  return Object.freeze({ ...DEFAULT_MESH_CONFIG, ...overrides });
}

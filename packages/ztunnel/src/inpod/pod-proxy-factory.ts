/**
 * The seam between ZDS (this folder) and ztunnel's data path: for each pod the node agent hands
 * over, ZDS asks the factory to start the pod's proxy set (listeners on 15001/15006/15008 opened
 * *inside* the pod's netns) and later stops it.
 */

/** A pod whose netns ztunnel received over ZDS. */
export interface InpodPod {
  /** Kubernetes pod UID (ZDS uid; not the WDS workload uid). */
  readonly uid: string;
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /**
   * The pod's network namespace fd (received via SCM_RIGHTS). Owned by the ZDS client: valid until
   * the handle is stopped (or `start` failed), closed by the client afterwards — never by the
   * factory. Sockets opened inside it stay valid independently of the fd.
   */
  readonly netnsFd: number;
}

/** A running proxy set for one pod. */
export interface PodProxyHandle {
  /** Closes the pod's listeners (and drains or ends its connections). */
  stop(): Promise<void>;
}

/**
 * Starts a pod's proxies. A rejection is reported to the node agent as a NACK (`Ack.error`) with
 * the error's message, and the agent retries the Add later.
 */
export interface PodProxyFactory {
  start(pod: InpodPod): Promise<PodProxyHandle>;
}

import type http2 from "node:http2";
import type { Duplex } from "node:stream";
import { createLogger } from "@ambit/core";
import { pickEndpoint, type Random } from "../route/pick.js";
import { connectEndpoint, type EndpointDialer } from "../upstream/endpoint-tunnel.js";
import type { TunnelInfo } from "./request-pipeline.js";
import { resetLater } from "./reset-later.js";

const log = createLogger("waypoint.l4");

export interface OpaqueDeps extends EndpointDialer {
  readonly hbonePort: number;
  readonly rand: Random;
}

/**
 * Non-HTTP traffic inside a tunnel: pick an endpoint of the addressed service and copy bytes both
 * ways between the two CONNECT streams, with half-close (END_STREAM on one side ends the other's
 * write side). No L7 policy applies; L4 policy stays with the destination ztunnel.
 */
export async function proxyOpaque(down: Duplex, t: TunnelInfo, deps: OpaqueDeps): Promise<void> {
  const backend = t.state.backends.get(t.listener.hostname);
  const ep = backend && pickEndpoint(backend, t.servicePort, deps.rand);
  if (!ep) {
    log.info("l4: no endpoint", { service: t.listener.hostname, port: t.servicePort });
    down.destroy();
    return;
  }
  let up: http2.ClientHttp2Stream;
  try {
    up = await connectEndpoint(deps, {
      address: ep.endpoint.address,
      targetPort: ep.targetPort,
      identity: ep.endpoint.identity,
      hbonePort: deps.hbonePort,
      service: t.listener.hostname,
      peer: t.peer,
    });
  } catch (e) {
    log.info("l4: upstream connect failed", { error: e });
    down.destroy();
    return;
  }
  up.on("error", () => resetLater(down));
  down.on("error", () => resetLater(up));
  up.once("close", () => {
    if (!down.writableEnded) down.end();
  });
  down.once("close", () => {
    resetLater(up);
  });
  down.pipe(up);
  up.pipe(down);
}

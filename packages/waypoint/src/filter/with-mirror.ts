import { NEVER_CANCELLED } from "./cancel.js";
import type { Handler, Layer } from "./types.js";

/**
 * RequestMirror: send a copy to each mirror backend (percent-sampled), fire and forget: the
 * mirror's response is drained and dropped, its failures only logged. Needs a buffered body (the
 * pipeline buffers when a route mirrors). `sendMirror` is the forwarder aimed at one backend.
 */
export function withMirror(sendMirror: (hostname: string, port: number) => Handler): Layer {
  return (next) => (req, ctx) => {
    const mirrors = ctx.route.mirrors;
    if (mirrors.length > 0 && Buffer.isBuffer(req.body)) {
      for (const m of mirrors) {
        if (ctx.rand() * 100 >= m.percent) continue;
        // Envoy marks shadowed requests by suffixing the host with "-shadow".
        const copy = { ...req, authority: `${req.authority.replace(/(:\d+)?$/, "-shadow$1")}` };
        const detached = { ...ctx, signal: NEVER_CANCELLED, notes: { ...ctx.notes, flags: [] } };
        sendMirror(m.hostname, m.port)(copy, detached).then(
          (res) => {
            if (res.body && !Buffer.isBuffer(res.body)) res.body.resume();
          },
          () => {},
        );
      }
    }
    return next(req, ctx);
  };
}

import type net from "node:net";
import { forward } from "@ambit/core";

/** Result of a TCP↔TCP copy: `received` = downstream→upstream bytes, `sent` = upstream→downstream. */
export interface SocketPipeResult {
  readonly received: number;
  readonly sent: number;
  readonly error: Error | undefined;
}

/**
 * Copy both ways between two TCP sockets with half-close (FIN on one side ⇒ FIN on the other),
 * for plain-TCP passthrough and the same-node shortcut. An error on either side resets both.
 */
export function pipeSockets(down: net.Socket, up: net.Socket): Promise<SocketPipeResult> {
  down.allowHalfOpen = true;
  up.allowHalfOpen = true;
  return new Promise((resolve) => {
    let error: Error | undefined;
    let open = 2;
    const onError = (e: Error) => {
      error ??= e;
      down.destroy();
      up.destroy();
    };
    const onClose = () => {
      if (--open > 0) return;
      resolve({ received: down.bytesRead, sent: down.bytesWritten, error });
    };
    down.on("error", onError);
    up.on("error", onError);
    // 'close' fires once per socket (`on`: no `once` wrapper). One side fully closed: flush what is queued to the other, FIN it, then release it.
    const finish = (other: net.Socket) => {
      if (other.destroyed) return;
      if (other.writableFinished) other.destroy();
      else other.end(() => other.destroy());
    };
    down.on("close", () => {
      finish(up);
      onClose();
    });
    up.on("close", () => {
      finish(down);
      onClose();
    });
    // Batched writes, 256 KiB of backpressure slack (see `forward`), FIN follows FIN.
    forward(down, up);
    forward(up, down);
  });
}

import { Readable } from "node:stream";

const EMPTY = Buffer.alloc(0);

/** What a body reads from: the tunnel, paused while the body's reader is behind. */
export interface FlowControl {
  pause(): unknown;
  resume(): unknown;
}

/**
 * The body of one parsed message. While the message is still arriving nobody has asked for it:
 * chunks are collected, and {@link IncomingBody.take} hands over a plain Buffer when the message
 * was complete by then (the common case for small requests and responses: one DATA frame carries
 * it all), or else a Readable that the rest arrives into, with backpressure onto the tunnel.
 */
export class IncomingBody {
  private chunks: Buffer[] = [];
  private stream: Readable | undefined;
  private dropping = false;
  done = false;
  bytes = 0;

  constructor(private readonly source: FlowControl) {}

  push(c: Buffer): void {
    this.bytes += c.length;
    if (this.dropping) return;
    if (this.stream) {
      // A destroyed reader wants no more; never pause the tunnel for it.
      if (this.stream.destroyed) return;
      if (!this.stream.push(c)) this.source.pause();
    } else this.chunks.push(c);
  }

  end(): void {
    this.done = true;
    this.stream?.push(null);
  }

  take(): Buffer | Readable {
    if (this.done && !this.stream) {
      const c = this.chunks;
      this.chunks = [];
      return c.length === 0 ? EMPTY : c.length === 1 ? (c[0] as Buffer) : Buffer.concat(c);
    }
    if (!this.stream) {
      this.stream = new Readable({ read: () => void this.source.resume() });
      // Consumers attach their own listener; an unheard 'error' must never crash the waypoint.
      this.stream.on("error", () => {});
      for (const c of this.chunks) this.stream.push(c);
      this.chunks = [];
    }
    return this.stream;
  }

  /** Nobody will read the rest (the response was sent first): keep parsing, drop the bytes. */
  drop(): void {
    this.dropping = true;
    this.chunks = [];
    if (this.stream && !this.stream.readableEnded) this.stream.destroy();
    this.source.resume();
  }

  /** The message will never complete (peer gone, parse error). */
  fail(err: Error): void {
    this.dropping = true;
    this.chunks = [];
    if (this.stream && !this.done) this.stream.destroy(err);
  }
}

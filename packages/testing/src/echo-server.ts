import net from "node:net";
import { listenInNetns } from "@ambit/sockets";

/** What a "who am I" server writes first: the peer and local address as this server saw them. */
export interface WhoAmI {
  readonly remote: { readonly ip: string; readonly port: number };
  readonly local: { readonly ip: string; readonly port: number };
}

/** Options of `startEchoServer`. */
export interface EchoServerOptions {
  /** Listen inside this namespace (path or fd) via @ambit/sockets; omitted = this process's. */
  netns?: string | number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** First write one JSON line (`WhoAmI`) and then echo: proves what source address arrived. */
  whoAmI?: boolean;
}

/** A running echo server; `close()` ends open connections and the listener. */
export interface EchoServer {
  readonly server: net.Server;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** TCP echo server for tests (optionally in another netns), with an optional "who am I" greeting. */
export async function startEchoServer(opts: EchoServerOptions = {}): Promise<EchoServer> {
  const host = opts.host ?? "127.0.0.1";
  const sockets = new Set<net.Socket>();
  const onConnection = (s: net.Socket): void => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
    if (opts.whoAmI === true) {
      const info: WhoAmI = {
        remote: { ip: s.remoteAddress ?? "", port: s.remotePort ?? 0 },
        local: { ip: s.localAddress ?? "", port: s.localPort ?? 0 },
      };
      s.write(JSON.stringify(info) + "\n");
    }
    s.pipe(s);
  };
  let server: net.Server;
  if (opts.netns !== undefined) {
    server = await listenInNetns({ netns: opts.netns, host, port: opts.port ?? 0 }, onConnection);
  } else {
    server = net.createServer(onConnection);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
  }
  const port = (server.address() as net.AddressInfo).port;
  return {
    server,
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads the first line a "who am I" echo server sends on `socket`. */
export function readWhoAmI(socket: net.Socket): Promise<WhoAmI> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer): void => {
      buf += d.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve(JSON.parse(buf.slice(0, nl)) as WhoAmI);
    };
    socket.on("data", onData);
    socket.once("error", reject);
  });
}

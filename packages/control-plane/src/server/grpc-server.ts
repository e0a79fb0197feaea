import { Ports } from "@ambit/api";
import { CodedError, createLogger } from "@ambit/core";
import * as grpc from "@grpc/grpc-js";

const log = createLogger("control-plane.server");

export type ControlPlaneServerErrorCode = "bind_failed" | "not_started" | "already_started";

/** The one error class of the control-plane gRPC server. */
export class ControlPlaneServerError extends CodedError<ControlPlaneServerErrorCode> {
  override readonly name = "ControlPlaneServerError";
}

export interface ControlPlaneServerOptions {
  /** Listen host (default `0.0.0.0`); tests use `127.0.0.1`. */
  readonly host?: string;
  /** Listen port (default `Ports.controlPlane` = 15012); 0 picks a free port. */
  readonly port?: number;
  /** Server certificate chain and key (PEM). Server-auth only: callers prove who they are with a token. */
  readonly tls: { readonly certChainPem: string; readonly keyPem: string };
  /** Extra grpc-js server options (merged over keepalive defaults). */
  readonly serverOptions?: grpc.ServerOptions;
}

/**
 * The control plane's single TLS gRPC listener (port 15012): xDS and the CA share it, as in
 * istiod. Services are registered with {@link addService} before {@link start}; the listener owns
 * no protocol logic of its own.
 */
export class ControlPlaneServer {
  private readonly server: grpc.Server;
  private boundPort: number | undefined;

  constructor(private readonly opts: ControlPlaneServerOptions) {
    this.server = new grpc.Server({
      "grpc.keepalive_time_ms": 30_000,
      "grpc.keepalive_timeout_ms": 10_000,
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.max_receive_message_length": 16 * 1024 * 1024,
      ...opts.serverOptions,
    });
  }

  /** Register a service (ADS, the CA, …). Must be called before {@link start}. */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    if (this.boundPort !== undefined) {
      throw new ControlPlaneServerError("already_started", "add service: server already started");
    }
    this.server.addService(definition, implementation);
  }

  /** Bind and serve; resolves to the bound port. */
  async start(): Promise<number> {
    if (this.boundPort !== undefined) return this.boundPort;
    const host = this.opts.host ?? "0.0.0.0";
    const creds = grpc.ServerCredentials.createSsl(
      null,
      [
        {
          cert_chain: Buffer.from(this.opts.tls.certChainPem),
          private_key: Buffer.from(this.opts.tls.keyPem),
        },
      ],
      false,
    );
    // grpc-js sets TCP_NODELAY on client sockets only. Without it on ours, a small push written
    // while an earlier segment is unacknowledged waits for the peer's delayed ACK (~40 ms):
    // pass Node's net.Server `noDelay` through the TLS server options grpc-js hands to
    // http2.createSecureServer.
    const base = creds._getConstructorOptions.bind(creds);
    creds._getConstructorOptions = () => ({ ...base(), noDelay: true });
    const target = `${host.includes(":") ? `[${host}]` : host}:${this.opts.port ?? Ports.controlPlane}`;
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(target, creds, (err, p) => {
        if (err)
          reject(
            new ControlPlaneServerError("bind_failed", `bind ${target}: ${err.message}`, { cause: err }),
          );
        else resolve(p);
      });
    });
    this.boundPort = port;
    log.info("control plane listening", { host, port });
    return port;
  }

  /** Bound port; throws before {@link start}. */
  get port(): number {
    if (this.boundPort === undefined)
      throw new ControlPlaneServerError("not_started", "port: server not started");
    return this.boundPort;
  }

  /**
   * Stop accepting calls and wait up to `graceMs` for open calls to finish, then cancel the rest.
   * Streams (xDS) never finish on their own, so they are cut after the grace period.
   */
  async stop(graceMs = 1000): Promise<void> {
    if (this.boundPort === undefined) return;
    this.boundPort = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

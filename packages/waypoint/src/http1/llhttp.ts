import { createRequire } from "node:module";

/**
 * Node's own HTTP/1.x parser (llhttp, the one `http.Server` uses), driven directly.
 *
 * Why: the waypoint's HTTP/1.1 cost was dominated by Node's `http` machinery around the parser
 * (IncomingMessage/ServerResponse/ClientRequest/Agent objects, a JS Duplex per tunnel, several
 * streams per request). Driving llhttp ourselves keeps exactly the same strictness (smuggling
 * shapes, header limits, methods, versions: every case in bad-input.test.ts) while a request
 * costs a parser call and a few callbacks. `_http_common` is a legacy-but-shipped built-in; its
 * `HTTPParser` shape is checked once at load time (below) so a Node upgrade that changes it fails
 * loudly at start, not per request.
 */
export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Bytes consumed, or an Error with `code` (`HPE_*`) and `reason`. */
  execute(data: Buffer): number | (Error & { code?: string; reason?: string; bytesParsed?: number });
  /** End of input (close-delimited bodies complete here). */
  finish(): undefined | (Error & { code?: string });
  close(): void;
  [slot: number]: unknown;
}

interface ParserModule {
  HTTPParser: {
    new (): NativeParser;
    REQUEST: number;
    RESPONSE: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kLenientNone: number;
  };
  methods: string[];
}

const mod = createRequire(import.meta.url)("_http_common") as ParserModule;
const P = mod.HTTPParser;
if (
  typeof P !== "function" ||
  typeof P.prototype.execute !== "function" ||
  typeof P.kOnHeadersComplete !== "number" ||
  !Array.isArray(mod.methods)
) {
  throw new Error("this Node.js has no usable _http_common.HTTPParser (the waypoint needs Node 20)");
}

/** Parsed start line and header block of one message. */
export interface ParsedHead {
  readonly versionMinor: number;
  /** Request: upper-case method; response: "". */
  readonly method: string;
  /** Request target (requests only). */
  readonly url: string;
  readonly status: number;
  /** Alternating name, value (as received). */
  readonly raw: readonly string[];
  /** Upgrade requested (requests) / 101 (responses). */
  readonly upgrade: boolean;
  readonly keepAlive: boolean;
}

export interface ParserCallbacks {
  /** Return true to tell the parser the message has no body (a response to HEAD, a 1xx). */
  onHead(head: ParsedHead): boolean | undefined;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/** What `execute`/`finish` return when the input is not valid HTTP/1.x. */
export interface ParseFailure {
  readonly code: string;
  readonly reason: string;
}

/** One llhttp instance for one connection (tunnel): requests or responses, strict, no lenience. */
export class Http1Parser {
  private readonly p: NativeParser;
  private headers: string[] = [];
  private url = "";
  private closed = false;

  constructor(kind: "request" | "response", maxHeaderSize: number, cb: ParserCallbacks) {
    this.p = new P();
    this.p.initialize(kind === "request" ? P.REQUEST : P.RESPONSE, {}, maxHeaderSize, P.kLenientNone);
    // Header blocks over 32 lines arrive in parts before headers-complete.
    this.p[P.kOnHeaders] = (h: string[], url: string) => {
      for (const x of h) this.headers.push(x);
      this.url += url;
    };
    this.p[P.kOnHeadersComplete] = (
      _major: number,
      minor: number,
      raw: string[] | undefined,
      method: number | undefined,
      url: string | undefined,
      status: number | undefined,
      _statusMessage: string | undefined,
      upgrade: boolean,
      keepAlive: boolean,
    ) => {
      let h = raw;
      if (this.headers.length > 0) {
        h = raw ? [...this.headers, ...raw] : this.headers;
        this.headers = [];
      }
      const u = url || this.url;
      this.url = "";
      const skip = cb.onHead({
        versionMinor: minor,
        method: method === undefined ? "" : (mod.methods[method] ?? ""),
        url: u,
        status: status ?? 0,
        raw: h ?? [],
        upgrade,
        keepAlive,
      });
      return skip ? 1 : 0;
    };
    this.p[P.kOnBody] = (b: Buffer) => cb.onBody(b);
    this.p[P.kOnMessageComplete] = () => cb.onComplete();
  }

  /** Feed bytes; callbacks run synchronously. */
  execute(data: Buffer): ParseFailure | undefined {
    if (this.closed) return undefined;
    const r = this.p.execute(data);
    return typeof r === "number" ? undefined : failure(r);
  }

  /** The peer ended its side. */
  finish(): ParseFailure | undefined {
    if (this.closed) return undefined;
    const r = this.p.finish();
    return r ? failure(r) : undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.p.close();
  }
}

function failure(e: Error & { code?: string; reason?: string }): ParseFailure {
  return { code: e.code ?? "HPE_INVALID", reason: e.reason ?? e.message };
}

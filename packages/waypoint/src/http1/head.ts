/** Header records and HTTP/1.1 head serialization for the waypoint's own HTTP/1.1 path. */

import { HOP_BY_HOP } from "../upstream/hop-by-hop.js";

export type HeaderRecord = Record<string, string | string[]>;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** What the session needs from a request's header block, gathered in the same pass. */
export interface RequestHeaderBlock {
  /** Forwardable headers: lower-case names, no hop-by-hop headers, no `Host`, no `Expect`. */
  readonly headers: HeaderRecord;
  /** `Host` lines seen (RFC 9112 §3.2: more than one is a 400). */
  readonly hosts: number;
  readonly host: string | undefined;
  readonly transferEncoding: boolean;
  /** Every `Content-Length` line, joined with ",". */
  readonly contentLength: string | undefined;
  readonly expect: string | undefined;
}

/**
 * Raw alternating name/value pairs of a request → the forwardable record plus the framing facts,
 * in one pass (the request path's hottest loop: no intermediate record, no entry arrays).
 * `TE` is kept only as exactly `trailers` (what gRPC needs); repeated names keep every value.
 * `forwardable` (listener/http-adapters.ts) applies the same rules to HTTP/2 requests: change
 * them together.
 */
export function requestHeaderBlock(raw: readonly string[]): RequestHeaderBlock {
  const headers: HeaderRecord = {};
  let hosts = 0;
  let host: string | undefined;
  let transferEncoding = false;
  let contentLength: string | undefined;
  let expect: string | undefined;
  let te: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = (raw[i] as string).toLowerCase();
    const v = raw[i + 1] as string;
    switch (k) {
      case "host":
        hosts++;
        host ??= v;
        continue;
      case "transfer-encoding":
        transferEncoding = true;
        continue;
      case "expect":
        expect = expect === undefined ? v : `${expect},${v}`;
        continue;
      case "te":
        // Kept in its place when it reads `trailers`; a second line makes it something else.
        if (te === undefined && v.toLowerCase() === "trailers") headers.te = "trailers";
        te = te === undefined ? v : `${te},${v}`;
        continue;
      case "content-length":
        contentLength = contentLength === undefined ? v : `${contentLength},${v}`;
        break;
      default:
        if (HOP_BY_HOP.has(k)) continue;
    }
    addValue(headers, k, v);
  }
  // Rare (repeated TE): the `delete` turns this record into a slow dictionary, acceptable here.
  if (headers.te !== undefined && te?.toLowerCase() !== "trailers") delete headers.te;
  return { headers, hosts, host, transferEncoding, contentLength, expect };
}

/** Raw pairs of a response → forwardable record (no hop-by-hop headers), in one pass. */
export function responseHeaderRecord(raw: readonly string[]): HeaderRecord {
  const headers: HeaderRecord = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = (raw[i] as string).toLowerCase();
    if (!HOP_BY_HOP.has(k)) addValue(headers, k, raw[i + 1] as string);
  }
  return headers;
}

function addValue(headers: HeaderRecord, k: string, v: string): void {
  const old = headers[k];
  if (old === undefined) headers[k] = v;
  else if (typeof old === "string") headers[k] = [old, v];
  else old.push(v);
}

/** A header value as one string (repeated lines joined with ","). */
export function single(v: string | readonly string[] | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === "string" ? v : v.join(",");
}

/** Thrown for a header that cannot be written (a name that is not a token, CR/LF/NUL in a value). */
export class BadHeaderError extends Error {}

/**
 * `start` line + headers (+ `extra`, already formatted lines) + the blank line. Names are written
 * as stored (lower case); every name and value is checked so that no configured or upstream
 * header can inject a line.
 */
export function serializeHead(
  start: string,
  headers: Readonly<Record<string, string | readonly string[]>>,
  skip: ReadonlySet<string>,
  extra: string,
): string {
  let out = `${start}\r\n`;
  for (const k in headers) {
    if (skip.has(k)) continue;
    const v = headers[k];
    if (v === undefined) continue;
    if (!TOKEN.test(k)) throw new BadHeaderError(`invalid header name ${JSON.stringify(k)}`);
    if (typeof v === "string") {
      if (BAD_VALUE.test(v)) throw new BadHeaderError(`invalid value for header ${k}`);
      out += `${k}: ${v}\r\n`;
    } else {
      for (const x of v) {
        if (BAD_VALUE.test(x)) throw new BadHeaderError(`invalid value for header ${k}`);
        out += `${k}: ${x}\r\n`;
      }
    }
  }
  return `${out}${extra}\r\n`;
}

/** One chunk of a chunked body. */
export function chunkFrame(chunk: Buffer): Buffer[] {
  return [Buffer.from(`${chunk.length.toString(16)}\r\n`, "latin1"), chunk, CRLF];
}

export const CRLF = Buffer.from("\r\n", "latin1");
export const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

/** Statuses whose responses never carry a body (RFC 9110 §6.4.1). */
export function bodyless(status: number, requestMethod: string): boolean {
  return requestMethod === "HEAD" || status < 200 || status === 204 || status === 304;
}

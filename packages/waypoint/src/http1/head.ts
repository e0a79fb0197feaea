/** Header records and HTTP/1.1 head serialization for the waypoint's own HTTP/1.1 path. */

export type HeaderRecord = Record<string, string | string[]>;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Raw alternating name/value pairs → lower-case record; a repeated name keeps every value, in
 * order (re-sent as separate lines, matched joined with ","). Counts `Host` lines: RFC 9112 §3.2
 * requires a 400 for more than one.
 */
export function headerRecord(raw: readonly string[]): { headers: HeaderRecord; hosts: number } {
  const headers: HeaderRecord = {};
  let hosts = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = (raw[i] as string).toLowerCase();
    const v = raw[i + 1] as string;
    if (k === "host") hosts++;
    const old = headers[k];
    if (old === undefined) headers[k] = v;
    else if (typeof old === "string") headers[k] = [old, v];
    else old.push(v);
  }
  return { headers, hosts };
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

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIperfJson, parseWrkOutput } from "./tools.js";

describe("parseIperfJson", () => {
  it("reads the receiver's bits per second as Gbit/s", () => {
    assert.equal(parseIperfJson(JSON.stringify({ end: { sum_received: { bits_per_second: 5.5e9 } } })), 5.5);
  });
  it("surfaces iperf3's own error", () => {
    assert.throws(
      () => parseIperfJson(JSON.stringify({ error: "unable to connect to server" })),
      /unable to connect/,
    );
  });
  it("rejects non-JSON and missing fields", () => {
    assert.throws(() => parseIperfJson("iperf3: error"), /not JSON/);
    assert.throws(() => parseIperfJson("{}"), /no end\.sum_received/);
  });
});

describe("parseWrkOutput", () => {
  const sample = `Running 1s test @ http://10.20.2.2:8080/1k
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   180.00us   50.00us   2.00ms   90.00%
    Req/Sec    45.00k     1.00k   47.00k    70.00%
  90000 requests in 1.00s, 110.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  89999.50
Transfer/sec:    110.00MB
`;
  it("reads rate, count and errors", () => {
    assert.deepEqual(parseWrkOutput(sample), { rps: 89999.5, requests: 90000, errors: 7 });
  });
  it("rejects output without a rate", () => {
    assert.throws(
      () => parseWrkOutput("unable to connect to 10.20.2.2:8080 Connection refused"),
      /unexpected output/,
    );
  });
});

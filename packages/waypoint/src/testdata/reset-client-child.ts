// A client in its own process that resets its CONNECT tunnels (RST_STREAM NO_ERROR) synchronously
// from the response's 'end' handler, i.e. inside its own HTTP/2 session's receive callback: the
// original "waypoint spins at 100% CPU" reproduction. On Node 20 that pattern corrupts the
// CLIENT's nghttp2 state (its own process spins), which is why it runs apart from the test.
// Reads {port, pems} as one JSON line on stdin; prints "done" after `rounds` × 5 requests.
import http from "node:http";
import type net from "node:net";
import { socketAddress } from "@ambit/api";
import { connectHeaders, createHboneSecureContext, HbonePool } from "@ambit/core";
import { jsDuplex } from "../listener/no-writev.js";
import { SLEEP_ID, WAYPOINT_ID } from "./harness.js";

const line = await new Promise<string>((resolve) => {
  let buf = "";
  process.stdin.on("data", (c: Buffer) => {
    buf += c.toString();
    if (buf.includes("\n")) resolve(buf.slice(0, buf.indexOf("\n")));
  });
});
const { port, pems, rounds } = JSON.parse(line) as {
  port: number;
  pems: { certChain: string; privateKey: string; roots: string };
  rounds: number;
};
const ctx = createHboneSecureContext(pems);
const pool = new HbonePool();
const one = (i: number) =>
  pool
    .connect({
      sourceIdentity: SLEEP_ID,
      destinationIdentities: [WAYPOINT_ID],
      nextHop: socketAddress("127.0.0.1", port),
      sourceIp: undefined,
      secureContext: ctx,
      headers: connectHeaders({ authority: "10.96.0.20:9080" }),
    })
    .then(
      (stream) =>
        new Promise<void>((resolve) => {
          const req = http.request({
            path: `/r${i}`,
            headers: { host: "a" },
            createConnection: () => jsDuplex(stream) as net.Socket,
          });
          req.on("error", () => resolve());
          req.once("response", (res) => {
            res.resume();
            res.once("end", () => {
              stream.close(); // the hazard: RST_STREAM(NO_ERROR) inside the receive callback
              resolve();
            });
          });
          req.end();
        }),
    );
for (let r = 0; r < rounds; r++) await Promise.all([0, 1, 2, 3, 4].map(one));
process.stdout.write("done\n");
pool.close(true);
process.exit(0);

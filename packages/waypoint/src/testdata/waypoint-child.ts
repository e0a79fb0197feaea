// A waypoint (+ backend HBONE server + HTTP/1 app) in its own process, for tests that must tell
// the waypoint's CPU apart from the client's (a native spin in one would stall the other's event
// loop if they shared a process). Prints one JSON line {port, pems, pid} on stdout, then serves
// until stdin closes or SIGTERM.
import { startHarness, startHttp1App } from "./harness.js";

export const CHILD_HOST = "reviews.bookinfo.svc.cluster.local";
export const CHILD_VIP = "10.96.0.20";

const h = await startHarness();
const app = await startHttp1App("v1");
h.addEndpointApp("10.0.0.1", 9080, app.port);
h.setConfig({
  namespace: "bookinfo",
  name: "waypoint",
  listeners: [
    {
      hostname: CHILD_HOST,
      name: "reviews",
      namespace: "bookinfo",
      addresses: [CHILD_VIP],
      ports: [{ port: 9080, targetPort: 9080, appProtocol: "http" }],
    },
  ],
  backends: [
    {
      hostname: CHILD_HOST,
      endpoints: [{ address: "10.0.0.1", identity: "spiffe://cluster.local/ns/bookinfo/sa/backend", ports: { 9080: 9080 } }],
    },
  ],
});
process.stdout.write(`${JSON.stringify({ port: h.waypointPort, pems: h.sleepPems, pid: process.pid })}\n`);
const stop = async () => {
  await h.close();
  app.server.close();
  process.exit(0);
};
process.stdin.on("end", () => void stop());
process.stdin.resume();
process.once("SIGTERM", () => void stop());

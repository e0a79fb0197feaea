// Child of seqpacket-fd-passing.ns.test.ts: receives a netns fd over SEQPACKET, opens a listener
// inside that namespace with it, reports the port, and serves until the parent hangs up.
import type { AddressInfo } from "node:net";
import { closeFd, listenInNetns, SeqpacketSocket } from "../index.js";

const sock = await SeqpacketSocket.connect(process.argv[2] ?? "");
const msg = await sock.recv();
const { host } = JSON.parse(msg.data.toString()) as { host: string };
const netnsFd = msg.fds[0];
if (netnsFd === undefined) throw new Error("no fd received");
const server = await listenInNetns({ netns: netnsFd, host, port: 0 }, (s) => s.end(`served by ${process.pid}`));
closeFd(netnsFd); // the listener keeps its namespace; the fd is no longer needed
await sock.send(Buffer.from(JSON.stringify({ port: (server.address() as AddressInfo).port, pid: process.pid })));
sock.on("close", () => server.close());
sock.on("message", () => undefined); // keep reading so the parent's hang-up is noticed

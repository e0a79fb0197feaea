// Child of sockets-privileges.ns.test.ts: loads the addon as root, drops to nobody, then tries the
// privileged calls and prints each outcome as JSON. argv[2] = a netns path.
import { connectInNetns, currentNetnsInode, listenInNetns } from "../index.js";

const before = currentNetnsInode(); // loads the addon while still allowed to read it
process.setgroups([]);
process.setgid(65534);
process.setuid(65534);
const ns = process.argv[2] ?? "";
const out: Record<string, unknown> = { uid: process.getuid?.() };
const attempts: [string, () => Promise<unknown>][] = [
  ["listenInNetns", () => listenInNetns({ netns: ns, host: "127.0.0.1", port: 0 })],
  ["connectInNetns", () => connectInNetns({ netns: ns, host: "127.0.0.1", port: 1 })],
  ["markWithoutNetns", () => listenInNetns({ host: "127.0.0.1", port: 0, mark: 0x539 })],
];
for (const [name, fn] of attempts) {
  try {
    await fn();
    out[name] = "unexpectedly succeeded";
  } catch (e) {
    const err = e as { code?: string; message?: string; errno?: string };
    out[name] = { code: err.code, errno: err.errno, message: err.message };
  }
}
out["sameNetns"] = currentNetnsInode() === before;
process.stdout.write(JSON.stringify(out));

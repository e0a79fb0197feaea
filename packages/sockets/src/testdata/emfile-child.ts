// Child of sockets-privileges.ns.test.ts, run under `prlimit --nofile`: fills the fd table, then
// frees 1, 2 or 3 fds before each openListenFd, so calls fail at each step of the namespace dance
// (opening the original netns, socket() while inside the target netns) or succeed.
import { closeSync, openSync } from "node:fs";
import { closeFd, currentNetnsInode, openListenFd } from "../index.js";

const ns = process.argv[2] ?? "";
const before = currentNetnsInode();
const fillers: number[] = [];
const fill = (): void => {
  for (;;) {
    try {
      fillers.push(openSync("/dev/null", "r"));
    } catch {
      return;
    }
  }
};
fill();
const outcomes: Record<string, number> = {};
for (let i = 0; i < 600; i++) {
  for (const fd of fillers.splice(0, (i % 3) + 1)) closeSync(fd);
  let key: string;
  try {
    closeFd(openListenFd({ netns: ns, host: "127.0.0.1", port: 0 }));
    key = "ok";
  } catch (e) {
    const err = e as { code?: string; syscall?: string; errno?: string };
    key = `${err.errno} in ${err.syscall}`;
  }
  outcomes[key] = (outcomes[key] ?? 0) + 1;
  fill();
}
process.stdout.write(JSON.stringify({ outcomes, sameNetns: currentNetnsInode() === before }));

/**
 * Stand-in main for the control plane in e2e tests that take the control plane away on purpose.
 * While `<state-dir>/hold-control-plane` exists this process only waits (nothing listens on
 * :15012, exactly as if the control plane were down); once the file is gone it runs the REAL
 * control-plane main with the same command line. The supervisor restarts this process when the
 * test kills the real control plane, so the gate is what keeps it down. The file name must end in
 * `main.ts`: the real main only runs when argv[1] looks like a main.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

const i = process.argv.indexOf("--state-dir");
const stateDir = i > 0 ? process.argv[i + 1] : undefined;
const gate = stateDir === undefined ? undefined : join(stateDir, "hold-control-plane");
while (gate !== undefined && existsSync(gate)) await new Promise((r) => setTimeout(r, 100));
await import(new URL("../../../packages/control-plane/src/main.ts", import.meta.url).href);

/**
 * Load-generator process. Started once per bench run inside the client pod's network namespace
 * (`ip netns exec <podA> node --import tsx bench/loadgen/worker.ts`), so that its CPU never mixes
 * with the harness's and its sockets originate in the pod. Protocol: one JSON job per stdin line
 * (`{id, job}`), one JSON answer per stdout line (`{id, result}` or `{id, error}`).
 */
import { createInterface } from "node:readline";
import { type LoadJob, runJob } from "./generator.js";

const rl = createInterface({ input: process.stdin });
let chain = Promise.resolve();
rl.on("line", (line) => {
  // Jobs run one at a time: two concurrent jobs would measure each other.
  chain = chain.then(async () => {
    let id: unknown;
    try {
      const msg = JSON.parse(line) as { id: unknown; job: LoadJob };
      id = msg.id;
      const result = await runJob(msg.job);
      process.stdout.write(`${JSON.stringify({ id, result })}\n`);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ id, error: e instanceof Error ? e.message : String(e) })}\n`);
    }
  });
});
rl.on("close", () => {
  void chain.then(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

// Child for the harness's signal test: creates a namespace, reports its name, then waits for SIGTERM.
import { NetnsHarness } from "../netns-harness.js";

const h = await NetnsHarness.create({ removeStale: false });
const ns = await h.addNamespace("sig");
process.stdout.write(`${ns}\n`);
setInterval(() => undefined, 1000);

export { runCli } from "./cli.js";
export type { Io } from "./context.js";
export { defaultSamplesDir, runDemo } from "./demo.js";
export { formatStatus, formatTable } from "./format.js";

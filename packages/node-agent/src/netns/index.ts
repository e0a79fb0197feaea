export type { InstalledState, ReconcileOutcome } from "./inpod-redirector.js";
export { InpodRedirector } from "./inpod-redirector.js";
export type { FakeCall } from "./netns.fake.js";
export { FakeNetnsExec } from "./netns.fake.js";
export type { ExecResult, NetnsExec } from "./netns.js";
export { namedNetns, wrapInNetns } from "./netns.js";
export { createLinuxNetnsExec } from "./netns.linux.js";
export type { NetnsErrorCode } from "./netns-error.js";
export { NetnsError } from "./netns-error.js";

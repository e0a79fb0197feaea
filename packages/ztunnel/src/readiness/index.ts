export type { Readiness, ReadinessInputs } from "./readiness.js";
export { decideReadiness, readinessRoute } from "./readiness.js";

import { errorMessage } from "./errors.js";
import type { Logger } from "./logger.js";

/**
 * Process lifecycle shared by every app's `main.ts`: one graceful stop on the first SIGTERM or
 * SIGINT (later signals are ignored while it runs), exit 0 when the stop finishes, 1 when it
 * fails. Kept in one place so all components answer the local runtime's supervisor alike.
 */
export function stopOnSignals(log: Logger, stop: () => Promise<void>, message = "stopping"): void {
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(message, { signal });
    stop().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error("unclean stop", { error: errorMessage(e) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

/**
 * Runs `main` when this module is the process entry point (`…/main.js` or `…/main.ts`), not when a
 * test imports it; a rejected start is logged and exits 1.
 */
export function runMain(log: Logger, what: string, main: () => Promise<void>): void {
  const entry = process.argv[1];
  if (entry === undefined || !/main\.[jt]s$/.test(entry)) return;
  main().catch((e: unknown) => {
    log.error(`${what} failed`, { error: errorMessage(e) });
    process.exit(1);
  });
}

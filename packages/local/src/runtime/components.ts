import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The apps local mode starts as processes (never imports: apps meet only over the wire). */
export type ComponentApp = "control-plane" | "ztunnel" | "node-agent" | "waypoint";

/** Where an app's entry point is, or why it cannot run yet. */
export type ComponentMain =
  | { readonly available: true; readonly app: ComponentApp; readonly path: string }
  | { readonly available: false; readonly app: ComponentApp; readonly reason: string };

function packageDir(app: ComponentApp): string | undefined {
  const pkg = `@ambit/${app}/package.json`;
  try {
    return dirname(createRequire(import.meta.url).resolve(pkg));
  } catch {
    // `exports` may not list ./package.json: walk node_modules upwards like Node would.
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "node_modules", "@ambit", app);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Finds `@ambit/<app>/dist/main.js` by path (the dependency rules forbid importing apps). An app
 * whose main is not built or not written yet is reported as unavailable, with the reason shown to
 * the user — never silently skipped. `$AMBIT_<APP>_MAIN` (e.g. AMBIT_ZTUNNEL_MAIN,
 * AMBIT_WAYPOINT_MAIN) overrides.
 */
export function resolveComponentMain(app: ComponentApp): ComponentMain {
  const override = process.env[`AMBIT_${app.toUpperCase().replace("-", "_")}_MAIN`];
  if (override !== undefined && override !== "") {
    return existsSync(override)
      ? { available: true, app, path: override }
      : {
          available: false,
          app,
          reason: `${override} (from AMBIT_${app.toUpperCase().replace("-", "_")}_MAIN) does not exist`,
        };
  }
  const dir = packageDir(app);
  if (dir === undefined) return { available: false, app, reason: `package @ambit/${app} is not installed` };
  const main = join(dir, "dist", "main.js");
  if (existsSync(main)) return { available: true, app, path: main };
  const hasSource = existsSync(join(dir, "src", "main.ts"));
  return {
    available: false,
    app,
    reason: hasSource
      ? `${main} is not built yet (run: npm run build)`
      : `@ambit/${app} has no main yet (src/main.ts does not exist): this component is not available in this build`,
  };
}

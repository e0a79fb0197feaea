/**
 * How bench paths start ambit's apps: by path, never imported (apps are separate processes, as
 * in a real deployment), from the built main only when the build is not older than the sources
 * (a stale build would benchmark old code), else from the sources through tsx.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * True when some non-test source under packages/<pkg>/src is newer than its compiled
 * packages/<pkg>/dist/<same path>.js (tsc -b re-emits only what changed, so compare per file)
 * and than the package's dist/.tsbuildinfo: tsc -b does not rewrite a .js whose output did not
 * change (a touched or reverted source), so only the build info proves the build saw the source.
 * Packages without a dist/ are not built and do not count.
 */
export function buildIsStale(repoRoot: string): boolean {
  const walk = (src: string, dist: string, built: number): boolean => {
    for (const e of readdirSync(src, { withFileTypes: true })) {
      const p = join(src, e.name);
      if (e.isDirectory()) {
        // testdata/ holds test fixtures, which the build leaves out.
        if (e.name !== "testdata" && walk(p, join(dist, e.name), built)) return true;
      } else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) {
        const out = join(dist, e.name.replace(/\.ts$/, ".js"));
        const srcMs = statSync(p).mtimeMs;
        if (!existsSync(out) || (statSync(out).mtimeMs < srcMs && built < srcMs)) return true;
      }
    }
    return false;
  };
  const pkgs = join(repoRoot, "packages");
  const builtMs = (dist: string) => {
    const info = join(dist, ".tsbuildinfo");
    return existsSync(info) ? statSync(info).mtimeMs : 0;
  };
  return readdirSync(pkgs).some((pkg) => {
    const dist = join(pkgs, pkg, "dist");
    return existsSync(dist) && walk(join(pkgs, pkg, "src"), dist, builtMs(dist));
  });
}

/**
 * `node <app main>`: the built main when it exists and is fresh, else the source through tsx.
 * Which one ran is printed, since tsx costs memory (it adds a `name` property to every closure)
 * and start-up time.
 */
export function appArgv(repoRoot: string, app: string): string[] {
  const dist = join(repoRoot, "packages", app, "dist", "main.js");
  if (existsSync(dist) && !buildIsStale(repoRoot)) {
    process.stderr.write(`[bench] ${app}: built main (${dist})\n`);
    return [process.execPath, dist];
  }
  process.stderr.write(
    `[bench] ${app}: sources through tsx (no build, or the build is older than the sources)\n`,
  );
  const src = join(repoRoot, "packages", app, "src", "main.ts");
  return [process.execPath, "--conditions=source", "--import", "tsx", src];
}

#!/usr/bin/env node
// Runs the whole test suite with node:test through tsx (sources, not dist, via the "source" export
// condition). Tiers: *.test.ts are table/golden/socket tests; *.ns.test.ts need root and real network
// namespaces (CI runs as root, so they always run there). Without root the namespaced tier is skipped
// LOUDLY, never silently. Usage: node scripts/run-tests.mjs [--tier unit|ns|all] [filter...]
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
let tier = "all";
const filters = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--tier") tier = args[++i] ?? "all";
  else filters.push(args[i]);
}

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === "node_modules" || name === "dist" || name === "testdata") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const all = [
  ...walk(join(root, "packages"), []),
  ...walk(join(root, "test"), []),
  ...walk(join(root, "bench"), []),
].sort();
const isRoot = process.getuid?.() === 0;
let files = all.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const ns = files.filter((f) => f.endsWith(".ns.test.ts"));
if (tier === "unit") files = files.filter((f) => !f.endsWith(".ns.test.ts"));
if (tier === "ns") files = ns;
if (!isRoot && tier !== "unit" && ns.length > 0) {
  console.error(
    "\n*** NOT ROOT: SKIPPING " +
      ns.length +
      " NAMESPACED TEST FILES (they need root and network namespaces):",
  );
  for (const f of ns) console.error("***   " + f);
  console.error("*** Run as root (CI does) to execute them.\n");
  files = files.filter((f) => !f.endsWith(".ns.test.ts"));
}
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}

// The whole-suite run type-checks every test first; a filtered run (one engineer's files) skips it.
const tc =
  filters.length > 0
    ? { status: 0 }
    : spawnSync("npx", ["tsc", "-p", "tsconfig.test.json"], { cwd: root, stdio: "inherit" });
if (tc.status !== 0) {
  console.error("type check of tests failed");
  process.exit(tc.status ?? 1);
}

// Two phases: socket/unit tests run 3 files at a time (they mostly wait on I/O and timers); the
// namespaced tier runs one file at a time because each file builds a cluster of real processes.
// A plain "N passed, N failed" line closes the run with the totals of both phases.
const totals = { pass: 0, fail: 0, cancelled: 0, skipped: 0 };
// Every failing test's YAML diagnostic block (error, expected/actual, location), repeated at the
// very end of the run: CI systems often keep only the tail of a long log.
const failures = [];
function collectFailures(stream) {
  let buf = "";
  let current;
  stream.on("data", (chunk) => {
    buf += chunk.toString();
    const lines = buf.split("\n");
    buf = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^\s*not ok \d+ - (.*)$/.exec(line);
      if (m) {
        current = [m[1]];
        continue;
      }
      if (!current) continue;
      if (/^\s*\.\.\.\s*$/.test(line)) {
        // Suites repeat their children's failures as "N subtests failed"; keep only real errors.
        if (
          !current.some((l) => /subtests? failed|failureType: '(subtestsFailed|cancelledByParent)'/.test(l))
        )
          failures.push(current);
        current = undefined;
      } else if (
        current.length < 40 &&
        !/^\s*(---|duration_ms:|type: ')|node:internal|primordials|<anonymous>\)?$|runInAsyncScope|SafePromise/.test(
          line,
        )
      ) {
        current.push(line.trimEnd());
      }
    }
  });
}
async function runPhase(phaseFiles, concurrency) {
  if (phaseFiles.length === 0) return 0;
  const child = spawn(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      "--test",
      "--test-reporter=tap",
      `--test-concurrency=${concurrency}`,
      "--test-timeout=300000",
      ...phaseFiles,
    ],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, AMBIT_LOG: process.env.AMBIT_LOG ?? "warn" },
    },
  );
  // Stream the TAP output and keep only its tail, where the summary lines are.
  let tail = "";
  collectFailures(child.stdout);
  child.stdout.on("data", (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString()).slice(-4096);
  });
  const status = await new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  for (const key of Object.keys(totals)) {
    const m = new RegExp(`^# ${key} (\\d+)$`, "m").exec(tail);
    if (m) totals[key] += Number(m[1]);
  }
  return status;
}
const unitStatus = await runPhase(
  files.filter((f) => !f.endsWith(".ns.test.ts")),
  3,
);
const nsStatus = await runPhase(
  files.filter((f) => f.endsWith(".ns.test.ts")),
  1,
);
const failed = totals.fail + totals.cancelled;
if (failures.length > 0) {
  console.log(`\n# failures (${failures.length}), repeated from above:`);
  for (const [name, ...detail] of failures.slice(0, 12)) {
    console.log(`\n## ${name}`);
    for (const l of detail) console.log(l);
  }
}
console.log(`\ntests: ${totals.pass + failed} run, ${totals.cancelled} cancelled, ${totals.skipped} skipped`);
console.log(`${totals.pass} passed, ${failed} failed`);
process.exit(unitStatus !== 0 || nsStatus !== 0 ? 1 : 0);

import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as pb from "@ambit/api/pb";
import { fromBinary, toJson } from "@bufbuild/protobuf";
import { buildSnapshot } from "../model/snapshot.js";
import { parseConfigDocuments } from "../sources/parse-documents.js";
import { resolveFiles } from "../sources/resolve-files.js";
import { formatIssue } from "../status/config-issue.js";
import { isWaypointGateway } from "./waypoint-binding.js";
import { translateWaypoint, WAYPOINT_TYPE_URL, waypointGenerator } from "./waypoint-generator.js";

// Golden tests: testdata/waypoint-cases/<case>.in.yaml → <case>.golden.json (every WaypointConfig
// the generator emits, decoded from the wire bytes, plus dropped rules). UPDATE_GOLDEN=1 rewrites.
const dir = join(import.meta.dirname, "testdata", "waypoint-cases");
const update = process.env["UPDATE_GOLDEN"] === "1";

function snapshotOf(file: string, text: string) {
  const docs = parseConfigDocuments(text, file, "golden");
  const { objects, issues } = resolveFiles(new Map([[file, docs]]), new Map(), "golden");
  assert.deepEqual(issues, [], "test input must be valid config");
  return buildSnapshot([...objects.values()]);
}

function render(file: string, text: string): string {
  const s = snapshotOf(file, text);
  const S = pb.waypoint.WaypointConfigSchema;
  const resources = [...waypointGenerator.generate(s).values()].map((r) => {
    assert.equal(r.resource.typeUrl, WAYPOINT_TYPE_URL);
    return { name: r.name, resource: toJson(S, fromBinary(S, r.resource.value)) };
  });
  const gws = [...s.gateways.values()].filter(isWaypointGateway);
  const problems = gws.flatMap((gw) => translateWaypoint(s, gw).problems);
  const issues = [...new Set(gws.flatMap((gw) => translateWaypoint(s, gw).issues.map(formatIssue)))].sort();
  return `${JSON.stringify({ resources, problems, ...(issues.length > 0 ? { issues } : {}) }, null, 2)}\n`;
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".in.yaml"))
  .sort();

test("waypoint golden cases exist", () => assert.ok(cases.length >= 4, `only ${cases.length} cases`));

for (const file of cases) {
  const name = file.slice(0, -".in.yaml".length);
  test(`waypoint golden: ${name}`, () => {
    const got = render(file, readFileSync(join(dir, file), "utf8"));
    const goldenPath = join(dir, `${name}.golden.json`);
    if (update) writeFileSync(goldenPath, got);
    assert.equal(
      got,
      readFileSync(goldenPath, "utf8"),
      `golden mismatch for ${name}; UPDATE_GOLDEN=1 regenerates`,
    );
  });
}

test("waypoint resource versions are content hashes: unrelated changes do not re-push", () => {
  const text = readFileSync(join(dir, "reviews-split.in.yaml"), "utf8");
  const a = waypointGenerator.generate(snapshotOf("a.yaml", text));
  const extra = `${text}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: unrelated}\n`;
  const b = waypointGenerator.generate(snapshotOf("b.yaml", extra));
  assert.equal(a.get("bookinfo/waypoint")?.version, b.get("bookinfo/waypoint")?.version);
  const changed = text.replace("weight: 90", "weight: 80");
  const c = waypointGenerator.generate(snapshotOf("c.yaml", changed));
  assert.notEqual(a.get("bookinfo/waypoint")?.version, c.get("bookinfo/waypoint")?.version);
});

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
import { GENERATORS } from "./generators.js";
import { allTranslationIssues } from "./translation-issues.js";
import { WAYPOINT_TYPE_URL } from "./waypoint-generator.js";

// Golden tests: testdata/<case>.in.yaml → testdata/<case>.golden.json (both generators' output,
// rendered with protobuf toJson and sorted by name, plus every issue). UPDATE_GOLDEN=1 rewrites.
const dir = join(import.meta.dirname, "testdata");
const update = process.env["UPDATE_GOLDEN"] === "1";

function render(file: string, text: string): string {
  const docs = parseConfigDocuments(text, file, "golden");
  const { objects, issues } = resolveFiles(new Map([[file, docs]]), new Map(), "golden");
  const snapshot = buildSnapshot([...objects.values()], { sourceIssues: issues });
  const out: Record<string, unknown> = {};
  for (const [typeUrl, gen] of GENERATORS) {
    if (typeUrl === WAYPOINT_TYPE_URL) continue; // covered by waypoint-golden.test.ts
    const schema = typeUrl.endsWith("Address") ? pb.workload.AddressSchema : pb.security.AuthorizationSchema;
    out[typeUrl] = [...gen.generate(snapshot).values()].map((r) => ({
      name: r.name,
      aliases: r.aliases,
      resource: toJson(schema, fromBinary(schema, r.resource.value)),
    }));
  }
  out["issues"] = [...snapshot.issues, ...allTranslationIssues(snapshot)].map(formatIssue).sort();
  return `${JSON.stringify(out, null, 2)}\n`;
}

const cases = readdirSync(dir)
  .filter((f) => f.endsWith(".in.yaml"))
  .sort();

test("golden cases exist", () => assert.ok(cases.length >= 13, `only ${cases.length} cases`));

for (const file of cases) {
  const name = file.slice(0, -".in.yaml".length);
  test(`golden: ${name}`, () => {
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

import assert from "node:assert/strict";
import { test } from "node:test";
import { createAggregateSource } from "./aggregate-source.js";
import type { SourceChange } from "./config-source.js";
import { createMemorySource } from "./memory-source.js";

const ns = (name: string, label = "x") =>
  `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: {l: ${label}}}\n`;

test("memory source: batches notify synchronously with upserted/removed keys", () => {
  const m = createMemorySource("mem");
  const changes: SourceChange[] = [];
  m.subscribe((c) => changes.push(c));
  m.replaceWithYaml(`${ns("a")}---\n${ns("b")}`);
  m.replaceWithYaml(ns("a", "y"));
  assert.deepEqual(
    changes.map((c) => [c.upserted, c.removed]),
    [
      [["Namespace//a", "Namespace//b"], []],
      [["Namespace//a"], ["Namespace//b"]],
    ],
  );
  m.replaceWithYaml("kind: Pod\nmetadata: {}\n");
  assert.equal(m.list().length, 0);
  assert.equal(m.issues()[0]?.code, "missing_identity");
});

test("aggregate: first source wins a duplicate, with a warning; changes are forwarded", async () => {
  const a = createMemorySource("a");
  const b = createMemorySource("b");
  const agg = createAggregateSource([a, b]);
  const seen: string[] = [];
  agg.subscribe((c) => seen.push(c.source));
  await agg.start();
  a.replaceWithYaml(ns("shared", "from-a"));
  b.replaceWithYaml(`${ns("shared", "from-b")}---\n${ns("only-b")}`);
  assert.deepEqual(seen, ["a", "b"]);
  const list = agg.list();
  assert.equal(list.length, 2);
  assert.equal(list.find((o) => o.metadata.name === "shared")?.metadata.labels["l"], "from-a");
  assert.deepEqual(
    agg.issues().map((i) => [i.code, i.origin]),
    [["duplicate_object", "b"]],
  );
  await agg.stop();
  a.replaceWithYaml(ns("later"));
  assert.deepEqual(seen, ["a", "b"], "no events after stop");
});

import assert from "node:assert/strict";
import { it } from "node:test";
import { weakMemo, weakMemo2 } from "./weak-memo.js";

it("weakMemo derives once per object (undefined results included); weakMemo2 once per (object, key)", () => {
  let calls = 0;
  const name = weakMemo((o: { n: string }) => {
    calls++;
    return o.n === "" ? undefined : o.n.toUpperCase();
  });
  const a = { n: "a" };
  const empty = { n: "" };
  assert.deepEqual([name(a), name(a), name(empty), name(empty)], ["A", "A", undefined, undefined]);
  assert.equal(calls, 2);
  assert.equal(name({ n: "a" }), "A", "an equal but different object is derived again");
  assert.equal(calls, 3);

  let calls2 = 0;
  const pair = weakMemo2((o: { n: string }, port: number) => {
    calls2++;
    return `${o.n}:${port}`;
  });
  assert.deepEqual([pair(a, 80), pair(a, 80), pair(a, 81), pair(empty, 80)], ["a:80", "a:80", "a:81", ":80"]);
  assert.equal(calls2, 3);
});

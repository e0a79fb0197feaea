import assert from "node:assert/strict";
import { test } from "node:test";
import { exact, match, prefix } from "../testdata/fixtures.js";
import { modifyPath, redirectLocation } from "./rewrite.js";

test("ReplacePrefixMatch swaps whole segments; ReplaceFullPath replaces", () => {
  const table: [string, string, string, string][] = [
    ["/foo", "/bar", "/foo/baz", "/bar/baz"],
    ["/foo", "/bar", "/foo", "/bar"],
    ["/foo", "/", "/foo/baz", "/baz"],
    ["/foo", "/", "/foo", "/"],
    ["/foo/", "/bar/", "/foo/baz", "/bar/baz"],
    ["/", "/v1", "/x/y", "/v1/x/y"],
    ["/api/v1", "/v1", "/api/v1/items?", "/v1/items?"],
  ];
  for (const [p, repl, path, want] of table) {
    assert.equal(
      modifyPath({ kind: "prefix", value: repl }, path, match({ path: prefix(p) })),
      want,
      `${p}→${repl} ${path}`,
    );
  }
  assert.equal(
    modifyPath({ kind: "full", value: "/new" }, "/old/x", match({ path: exact("/old/x") })),
    "/new",
  );
});

test("redirect Location: scheme/host/port/path rules", () => {
  const req = { scheme: "http", host: "web.shop", port: 9080, path: "/old", search: "?a=1" };
  const m = match({ path: exact("/old") });
  const r = (p: Partial<Parameters<typeof redirectLocation>[0]>) => ({
    scheme: undefined,
    hostname: undefined,
    path: undefined,
    port: undefined,
    statusCode: 302,
    ...p,
  });
  assert.equal(
    redirectLocation(r({ path: { kind: "full", value: "/new" } }), req, m),
    "http://web.shop:9080/new?a=1",
  );
  assert.equal(redirectLocation(r({ scheme: "https" }), req, m), "https://web.shop/old?a=1");
  assert.equal(redirectLocation(r({ hostname: "x.example", port: 80 }), req, m), "http://x.example/old?a=1");
  assert.equal(redirectLocation(r({ scheme: "https", port: 8443 }), req, m), "https://web.shop:8443/old?a=1");
});

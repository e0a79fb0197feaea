import assert from "node:assert/strict";
import { test } from "node:test";
import { exact, input, listener, match, prefix, regex, route } from "../testdata/fixtures.js";
import { prefixMatches, selectRoute } from "./route-match.js";

test("prefix matching works on whole path segments", () => {
  const cases: [string, string, boolean][] = [
    ["/", "/anything", true],
    ["/foo", "/foo", true],
    ["/foo", "/foo/", true],
    ["/foo", "/foo/bar", true],
    ["/foo", "/foobar", false],
    ["/foo/", "/foo", true],
    ["/foo/", "/foo/bar", true],
    ["/foo/bar", "/foo", false],
  ];
  for (const [p, path, want] of cases) assert.equal(prefixMatches(p, path), want, `${p} vs ${path}`);
});

test("precedence: exact > regex > longest prefix > method > headers > query; ties keep config order", () => {
  const l = listener([
    route("root", { matches: [match()] }),
    route("api", { matches: [match({ path: prefix("/api") })] }),
    route("api-v1", { matches: [match({ path: prefix("/api/v1") })] }),
    route("regex", { matches: [match({ path: regex("/api/v[0-9]+/items") })] }),
    route("exact", { matches: [match({ path: exact("/api/v1/items") })] }),
    route("post", { matches: [match({ path: prefix("/api"), method: "POST" })] }),
    route("hdr", {
      matches: [match({ path: prefix("/api"), headers: [{ name: "x-a", match: exact("1") }] })],
    }),
    route("hdr2", {
      matches: [
        match({
          path: prefix("/api"),
          headers: [
            { name: "x-a", match: exact("1") },
            { name: "x-b", match: regex("y.*") },
          ],
        }),
      ],
    }),
    route("query", { matches: [match({ path: prefix("/api"), query: [{ name: "q", match: exact("1") }] })] }),
    route("api-dup", { matches: [match({ path: prefix("/api") })] }),
  ]);
  const table: [Parameters<typeof input>[0], string | undefined][] = [
    [{ path: "/" }, "root"],
    [{ path: "/other" }, "root"],
    [{ path: "/api/v1/items" }, "exact"],
    [{ path: "/api/v2/items" }, "regex"],
    [{ path: "/api/v1/other" }, "api-v1"],
    [{ path: "/api/x", method: "POST", headers: { "x-a": "1", "x-b": "yes" } }, "post"],
    [{ path: "/api/x", headers: { "x-a": "1", "x-b": "yes" } }, "hdr2"],
    [{ path: "/api/x", headers: { "x-a": "1", "x-b": "no" } }, "hdr"],
    [{ path: "/api/x", headers: { "x-a": "1" }, query: "q=1" }, "hdr"],
    [{ path: "/api/x", query: "q=1&q=2" }, "query"],
    [{ path: "/api/x", query: "q=2" }, "api"],
  ];
  for (const [req, want] of table) {
    assert.equal(selectRoute(l, input(req))?.route.name, want, JSON.stringify(req));
  }
});

test("no matching route → undefined (404); empty route list → implicit default route", () => {
  const l = listener([route("only", { matches: [match({ path: exact("/a") })] })]);
  assert.equal(selectRoute(l, input({ path: "/b" })), undefined);
  const d = selectRoute(listener([]), input({ path: "/x" }));
  assert.equal(d?.route.name, "ns/svc/default");
  assert.equal(d?.route.backends[0]?.hostname, "svc.ns.svc.cluster.local");
});

test("route port and hostnames restrict; hostnames match the request host or the service hostname", () => {
  const l = listener([
    route("p80", { port: 80 }),
    route("named", {
      port: 9080,
      hostnames: ["reviews.example.com"],
      matches: [match({ path: prefix("/r") })],
    }),
    route("svc", {
      port: 9080,
      hostnames: ["*.ns.svc.cluster.local"],
      matches: [match({ path: prefix("/s") })],
    }),
  ]);
  assert.equal(selectRoute(l, input({ port: 80 }))?.route.name, "p80");
  assert.equal(selectRoute(l, input({ port: 9080, path: "/" })), undefined);
  assert.equal(selectRoute(l, input({ path: "/r", host: "reviews.example.com" }))?.route.name, "named");
  assert.equal(selectRoute(l, input({ path: "/r", host: "10.96.0.1" })), undefined);
  assert.equal(selectRoute(l, input({ path: "/s", host: "10.96.0.1" }))?.route.name, "svc");
});

test("method and header regex matches are exact-anchored", () => {
  const l = listener([
    route("get", {
      matches: [match({ method: "GET", headers: [{ name: "end-user", match: regex("jas.n") }] })],
    }),
  ]);
  assert.equal(selectRoute(l, input({ headers: { "end-user": "jason" } }))?.route.name, "get");
  assert.equal(selectRoute(l, input({ headers: { "end-user": "jasonx" } })), undefined);
  assert.equal(selectRoute(l, input({ method: "PUT", headers: { "end-user": "jason" } })), undefined);
  assert.equal(selectRoute(l, input({})), undefined, "missing header never matches");
});

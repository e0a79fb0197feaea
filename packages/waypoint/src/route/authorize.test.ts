import assert from "node:assert/strict";
import { test } from "node:test";
import type { L7Policy, L7Rule } from "../config/types.js";
import { type AuthzInput, authorizeRequest, istioMatch } from "./authorize.js";

const req = (p: Partial<AuthzInput> & { headers?: Record<string, string> } = {}): AuthzInput => ({
  service: "api.app.svc.cluster.local",
  host: "api.app.svc.cluster.local",
  method: "GET",
  path: "/",
  port: 8080,
  header: (n) => p.headers?.[n],
  sourcePrincipal: "cluster.local/ns/app/sa/sleep",
  sourceNamespace: "app",
  requestPrincipal: undefined,
  claims: undefined,
  ...p,
});
const rule = (p: Partial<L7Rule> = {}): L7Rule => ({ from: [], to: [], when: [], ...p });
const op = (p: Partial<L7Rule["to"][number]>) => ({
  hosts: [],
  notHosts: [],
  methods: [],
  notMethods: [],
  paths: [],
  notPaths: [],
  ports: [],
  notPorts: [],
  ...p,
});
const src = (p: Partial<L7Rule["from"][number]>) => ({
  principals: [],
  notPrincipals: [],
  requestPrincipals: [],
  notRequestPrincipals: [],
  namespaces: [],
  notNamespaces: [],
  ...p,
});
const pol = (name: string, action: "ALLOW" | "DENY", rules: L7Rule[], services: string[] = []): L7Policy => ({
  name,
  action,
  rules,
  services,
});

test("istio string forms", () => {
  const t: [string, string | undefined, boolean][] = [
    ["*", "x", true],
    ["*", undefined, false],
    ["/admin*", "/admin/x", true],
    ["/admin*", "/adm", false],
    ["*.png", "/a.png", true],
    ["GET", "GET", true],
    ["GET", "get", false],
  ];
  for (const [p, v, want] of t) assert.equal(istioMatch(p, v), want, `${p} ${v}`);
});

test("no policies → allowed; DENY by path wins over ALLOW", () => {
  assert.deepEqual(authorizeRequest([], req()), { allowed: true, policy: undefined });
  const ps = [
    pol("app/deny-admin", "DENY", [rule({ to: [op({ paths: ["/admin*"] })] })]),
    pol("app/allow-all", "ALLOW", [rule()]),
  ];
  assert.deepEqual(authorizeRequest(ps, req({ path: "/admin/users" })), {
    allowed: false,
    policy: "app/deny-admin",
    reason: "denied by policy app/deny-admin",
  });
  assert.equal(authorizeRequest(ps, req({ path: "/public" })).allowed, true);
});

test("ALLOW semantics: from AND to AND when; OR across rules; nothing matching → denied with reason", () => {
  const ps = [
    pol("app/allow", "ALLOW", [
      rule({
        from: [src({ principals: ["cluster.local/ns/app/sa/sleep"] })],
        to: [op({ methods: ["GET"], ports: [8080] })],
        when: [{ key: "request.headers[x-tenant]", values: ["acme"], notValues: [] }],
      }),
      rule({ from: [src({ requestPrincipals: ["https://issuer.example/*"] })] }),
    ]),
  ];
  const t: [Partial<AuthzInput> & { headers?: Record<string, string> }, boolean][] = [
    [{ headers: { "x-tenant": "acme" } }, true],
    [{ headers: { "x-tenant": "other" } }, false],
    [{ headers: { "x-tenant": "acme" }, method: "POST" }, false],
    [{ headers: { "x-tenant": "acme" }, port: 9090 }, false],
    [{ headers: { "x-tenant": "acme" }, sourcePrincipal: "cluster.local/ns/app/sa/other" }, false],
    [{ requestPrincipal: "https://issuer.example/alice", sourcePrincipal: "x" }, true],
  ];
  for (const [r, want] of t) assert.equal(authorizeRequest(ps, req(r)).allowed, want, JSON.stringify(r));
  const d = authorizeRequest(ps, req());
  assert.equal(d.allowed, false);
  if (!d.allowed) assert.equal(d.reason, "no ALLOW policy matched (app/allow)");
});

test("not-fields, hosts case-insensitive, namespaces, claims, ALLOW with no rules denies all", () => {
  const deny = pol("d", "DENY", [
    rule({ to: [op({ notMethods: ["GET", "HEAD"], hosts: ["API.app.svc.cluster.local"] })] }),
  ]);
  assert.equal(authorizeRequest([deny], req({ method: "DELETE" })).allowed, false);
  assert.equal(authorizeRequest([deny], req({ method: "HEAD" })).allowed, true);
  assert.equal(authorizeRequest([deny], req({ method: "DELETE", host: "other" })).allowed, true);
  const ns = pol("n", "ALLOW", [rule({ from: [src({ namespaces: ["app"], notNamespaces: ["x"] })] })]);
  assert.equal(authorizeRequest([ns], req()).allowed, true);
  assert.equal(authorizeRequest([ns], req({ sourceNamespace: "other" })).allowed, false);
  const claims = pol("c", "ALLOW", [
    rule({ when: [{ key: "request.auth.claims[groups]", values: ["admin"], notValues: [] }] }),
  ]);
  assert.equal(authorizeRequest([claims], req({ claims: { groups: ["dev", "admin"] } })).allowed, true);
  assert.equal(authorizeRequest([claims], req({ claims: { groups: ["dev"] } })).allowed, false);
  assert.equal(authorizeRequest([pol("none", "ALLOW", [])], req()).allowed, false);
});

test("policies for other services are ignored; unknown when-keys fail closed", () => {
  const other = pol("o", "DENY", [rule()], ["other.app.svc.cluster.local"]);
  assert.equal(authorizeRequest([other], req()).allowed, true);
  const unknownAllow = pol("ua", "ALLOW", [
    rule({ when: [{ key: "source.ip", values: ["1.2.3.4"], notValues: [] }] }),
  ]);
  assert.equal(authorizeRequest([unknownAllow], req()).allowed, false);
  const unknownDeny = pol("ud", "DENY", [
    rule({ when: [{ key: "source.ip", values: ["1.2.3.4"], notValues: [] }] }),
  ]);
  assert.equal(authorizeRequest([unknownDeny], req()).allowed, false);
});

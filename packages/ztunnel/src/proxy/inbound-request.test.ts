import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeIdentity, socketAddress } from "@ambit/api";
import { authorizeInbound, buildInboundRequest, type InboundInput } from "./inbound-request.js";
import { PROXY_ERRORS } from "./proxy-error.js";
import { policy, stateOf, wl } from "./testdata/mesh.js";

const POD = wl("web", ["10.0.1.1", "fd00::1"]);
const LOCAL = socketAddress("10.0.1.1", 15008);

describe("buildInboundRequest: status codes exactly as wire-spec §1.4", () => {
  const cases: [string, Partial<InboundInput>, number | "ok", string?][] = [
    ["CONNECT to this pod → upstream podIP:port", { authority: "10.0.1.1:8080" }, "ok", "10.0.1.1:8080"],
    [
      "IPv6 authority on the v6 address",
      { authority: "[fd00::1]:8080", local: socketAddress("fd00::1", 15008) },
      "ok",
      "fd00::1:8080",
    ],
    ["GET → 400", { method: "GET" }, 400],
    ["POST → 400", { method: "POST" }, 400],
    ["missing authority → 400", { authority: undefined }, 400],
    ["authority without port → 400", { authority: "10.0.1.1" }, 400],
    ["authority junk → 400", { authority: "::::" }, 400],
    ["authority port 0 → 400", { authority: "10.0.1.1:0" }, 400],
    ["authority port 70000 → 400", { authority: "10.0.1.1:70000" }, 400],
    ["another pod's IP → 400", { authority: "10.0.1.2:8080" }, 400],
    ["pod's other IP but conn arrived on v4 → 400", { authority: "[fd00::1]:8080" }, 400],
    ["self port 15008 → 503", { authority: "10.0.1.1:15008" }, 503],
    ["self port 15001 → 503", { authority: "10.0.1.1:15001" }, 503],
    ["self port 15006 → 503", { authority: "10.0.1.1:15006" }, 503],
    ["unknown local workload → 503", { pod: undefined }, 503],
    ["hostname authority (double HBONE form) → 503", { authority: "web.default.svc.cluster.local:80" }, 503],
  ];
  for (const [name, over, want, upstream] of cases) {
    it(name, () => {
      const r = buildInboundRequest({
        method: "CONNECT",
        authority: "10.0.1.1:8080",
        local: LOCAL,
        pod: POD,
        ...over,
      });
      if (want === "ok") {
        assert.ok(r.ok, JSON.stringify(r));
        assert.equal(`${r.upstream.ip}:${r.upstream.port}`, upstream);
      } else {
        assert.equal(r.ok, false);
        if (!r.ok) {
          assert.equal(PROXY_ERRORS[r.code].status, want, r.code);
          assert.ok(r.reason.length > 0);
        }
      }
    });
  }
});

describe("authorizeInbound: DENY before ALLOW, identity from the peer cert", () => {
  const sleep = makeIdentity("default", "sleep");
  const other = makeIdentity("other", "client");
  const up = socketAddress("10.0.1.1", 8080);
  const allowSleep = policy("allow-sleep", "allow", {
    principals: [{ kind: "exact", value: "cluster.local/ns/default/sa/sleep" }],
  });
  const denyOther = policy("deny-other-ns", "deny", { namespaces: [{ kind: "exact", value: "other" }] });
  const strict = policy("strict", "deny", { notPrincipals: [{ kind: "presence" }] });
  const table: [string, ReturnType<typeof policy>[], typeof sleep | undefined, boolean][] = [
    ["no policies → allow", [], sleep, true],
    ["allow matches → allow", [allowSleep], sleep, true],
    ["allow exists, no match → deny", [allowSleep], other, false],
    ["deny matches → deny even if allowed", [allowSleep, denyOther], other, false],
    ["STRICT (deny without identity) → plaintext denied", [strict], undefined, false],
    ["STRICT → mTLS allowed", [strict], sleep, true],
  ];
  for (const [name, policies, identity, allowed] of table) {
    it(name, () => {
      const state = stateOf([POD], [], policies);
      const d = authorizeInbound(state, { pod: POD, identity, sourceIp: "10.0.0.10", upstream: up });
      assert.equal(d.allowed, allowed, d.reason);
    });
  }
});

/**
 * Security suite, part 2 (issue 7): L4 AuthorizationPolicy enforced by the destination ztunnel.
 * One real 2-node cluster: `api` (server, node-2) in ambient ns `authz`; clients alpha and beta
 * (ns authz) and gamma (ambient ns `other`) on node-1. Each case applies one policy, waits until it
 * is in force, checks who gets through (bytes, status) and the reason the ztunnel logged for who
 * does not, then deletes it. Last: a policy change closes an already-open, now-denied connection.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { authorizationPolicy, docs, namespace, pod } from "./support/manifests.js";
import { type AccessRecord, keyOf, type MeshCluster, startMeshCluster } from "./support/mesh-cluster.js";
import { ECHO_PORT, HTTP_PORT, httpGet, openEchoSession, tcpEcho } from "./support/pod-traffic.js";
import { waitRefused } from "./support/refusal.js";
import { nowIso, waitFor } from "./support/wait.js";

const MANIFESTS = docs(
  namespace("authz", true),
  namespace("other", true),
  pod({ name: "api", namespace: "authz", node: "node-2", server: true }),
  pod({ name: "alpha", namespace: "authz", node: "node-1" }),
  pod({ name: "beta", namespace: "authz", node: "node-1" }),
  pod({ name: "gamma", namespace: "other", node: "node-1" }),
);

type Policy = Parameters<typeof authorizationPolicy>[0];
const policy = (p: Omit<Policy, "namespace" | "target">): Policy => ({
  namespace: "authz",
  target: "api",
  ...p,
});

describe("e2e security: L4 authorization (principal, namespace, source IP, port)", () => {
  let c: MeshCluster;
  before(async () => {
    c = await startMeshCluster({ name: "authz", manifests: MANIFESTS });
  });
  after(async () => {
    await c?.down();
  });

  const url = () => `http://${c.pod("api").ip}:${HTTP_PORT}/`;

  /** The client gets the server's answer, and the server saw the client's pod IP. */
  async function expectServed(client: string): Promise<void> {
    const p = c.pod(client);
    assert.deepEqual(await httpGet(p.netns, url()), { status: 200, body: `from=${p.ip} pod=api` }, client);
  }

  /** Waits until `client` is refused, then returns node-2's access record saying why. */
  async function expectDenied(client: string, since: string): Promise<AccessRecord> {
    const p = c.pod(client);
    const isDenial = (x: AccessRecord) =>
      x.direction === "inbound" && x.src_addr.startsWith(`${p.ip}:`) && x.error === "denied";
    const { refused: r, record: rec } = await waitRefused(c, `${client} refused`, {
      node: "node-2",
      since,
      attempt: async () => {
        const res = await httpGet(p.netns, url());
        return "error" in res ? res : undefined;
      },
      pred: isDenial,
      ms: 15_000,
    });
    assert.match(r.error, /ECONNRESET|socket hang up|EPIPE/);
    assert.equal(rec.response_flags, "DENY");
    assert.equal(rec.reason, "denied by authorization policy");
    assert.equal(rec.src_identity, `spiffe://cluster.local/ns/${p.namespace}/sa/${client}`);
    assert.equal(rec.bytes_sent, 0, "not one byte from the server");
    return rec;
  }

  /**
   * Applies, runs the checks, deletes, and waits until `unblocked` is served again — also when a
   * check failed, so that one failing case cannot leave its policy in force for the next one.
   */
  async function withPolicy(p: Policy, unblocked: string, check: (since: string) => Promise<void>) {
    const since = nowIso();
    await c.apply(authorizationPolicy(p));
    let failed = true;
    try {
      await check(since);
      failed = false;
    } finally {
      await c.remove(keyOf("AuthorizationPolicy", p.namespace, p.name));
      await waitFor(
        `${unblocked} served after ${p.name} is deleted`,
        async () => ("status" in (await httpGet(c.pod(unblocked).netns, url())) ? true : undefined),
        15_000,
      ).catch((e: unknown) => {
        if (!failed) throw e; // else the check's own error is the one to report
      });
    }
  }

  it("ALLOW by principal: only alpha's SPIFFE identity gets through", () =>
    c.explain(async () => {
      const p = policy({
        name: "allow-alpha",
        action: "ALLOW",
        from: { principals: ["cluster.local/ns/authz/sa/alpha"] },
      });
      await withPolicy(p, "beta", async (since) => {
        const beta = await expectDenied("beta", since);
        assert.match(beta.detail ?? "", /allow policies exist, but none allowed/);
        await expectDenied("gamma", since);
        await expectServed("alpha");
      });
    }));

  it("DENY by namespace: everything from ns other is refused, naming the policy", () =>
    c.explain(async () => {
      const p = policy({ name: "deny-other", action: "DENY", from: { namespaces: ["other"] } });
      await withPolicy(p, "gamma", async (since) => {
        const gamma = await expectDenied("gamma", since);
        assert.match(gamma.detail ?? "", /explicitly denied by authz\/deny-other/);
        await expectServed("alpha");
        await expectServed("beta");
      });
    }));

  it("ALLOW by source IP (ipBlocks): only beta's pod IP gets through", () =>
    c.explain(async () => {
      const p = policy({
        name: "allow-beta-ip",
        action: "ALLOW",
        from: { ipBlocks: [`${c.pod("beta").ip}/32`] },
      });
      await withPolicy(p, "alpha", async (since) => {
        const alpha = await expectDenied("alpha", since);
        assert.match(alpha.detail ?? "", /none allowed/);
        await expectServed("beta");
      });
    }));

  it("ALLOW by port: 8080 is served, the echo port 9000 is refused", () =>
    c.explain(async () => {
      const p = policy({ name: "allow-http-port", action: "ALLOW", to: { ports: [String(HTTP_PORT)] } });
      const alpha = c.pod("alpha");
      const api = c.pod("api");
      await withPolicy(p, "alpha", async (since) => {
        const { refused: echo, record: rec } = await waitRefused(c, "echo port refused", {
          node: "node-2",
          since,
          attempt: async () => {
            const r = await tcpEcho(alpha.netns, api.ip, ECHO_PORT, "hello over 9000");
            return "error" in r ? r : undefined;
          },
          pred: (x) => x.dst_addr === `${api.ip}:${ECHO_PORT}` && x.error === "denied",
          ms: 15_000,
        });
        assert.equal(echo.echoed, 0, "no byte came back from the denied port");
        assert.equal(rec.response_flags, "DENY");
        assert.match(rec.detail ?? "", /allow policies exist, but none allowed/);
        await expectServed("alpha");
      });
    }));

  it("a policy change closes an open connection that is now denied, with the reason", (t) =>
    c.explain(async () => {
      const alpha = c.pod("alpha");
      const api = c.pod("api");
      const session = openEchoSession(alpha.netns, api.ip);
      try {
        await session.waitEvent("open", 10_000);
        await waitFor("echoes flowing", async () => (session.echoed() >= 20 ? true : undefined), 10_000);
        const since = nowIso();
        const p = policy({
          name: "deny-alpha",
          action: "DENY",
          from: { principals: ["cluster.local/ns/authz/sa/alpha"] },
        });
        await c.apply(authorizationPolicy(p));
        const closed = await session.waitEvent("closed", 20_000);
        assert.ok((closed.echoed ?? 0) >= 20, "the connection carried data before it was closed");
        const rec = await c.waitRecord(
          "node-2",
          since,
          (x) => x.dst_addr === `${api.ip}:${ECHO_PORT}` && x.error === "policy_changed_denied",
        );
        assert.equal(rec.reason, "closed: policy changed and now denies");
        assert.match(rec.detail ?? "", /explicitly denied by authz\/deny-alpha/);
        assert.ok(rec.bytes_sent > 0 && rec.bytes_received > 0, JSON.stringify(rec));
        t.diagnostic(JSON.stringify(rec));
        // New connections are refused too; other principals are unaffected.
        const denied = await expectDenied("alpha", nowIso());
        assert.match(denied.detail ?? "", /explicitly denied by authz\/deny-alpha/);
        await expectServed("beta");
      } finally {
        session.stop();
      }
    }));
});

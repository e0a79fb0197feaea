/**
 * Security suite, part 3 (issue 7): the data plane keeps working while the control plane is away.
 * A real 2-node cluster whose control plane runs behind a gate (support/control-plane-gate-main.ts):
 * the test kills the real control-plane process and the gate keeps it down. Under steady load
 * between known workloads (client on node-1 → server on node-2, by pod IP and by VIP, a new
 * connection per request) the control plane is down for AMBIT_E2E_CP_OUTAGE_S seconds (default
 * 60, the figure; set it lower only for a quick local run): no request may fail. After it
 * returns, a new DENY policy must reach the destination ztunnel and be enforced.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { authorizationPolicy, docs, namespace, pod, service } from "./support/manifests.js";
import { type MeshCluster, startMeshCluster } from "./support/mesh-cluster.js";
import { HTTP_PORT, httpGet, type LoopSummary, requestLoop } from "./support/pod-traffic.js";
import { waitRefused } from "./support/refusal.js";
import { nowIso } from "./support/wait.js";

const OUTAGE_S = Number(process.env["AMBIT_E2E_CP_OUTAGE_S"] ?? "60");
const INTERVAL_MS = 100;

const MANIFESTS = docs(
  namespace("steady", true),
  pod({ name: "client", namespace: "steady", node: "node-1" }),
  pod({ name: "server", namespace: "steady", node: "node-2", server: true }),
  service("server", "steady", "server"),
);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("e2e security: control plane outage under steady load", () => {
  let c: MeshCluster;
  before(async () => {
    assert.ok(Number.isFinite(OUTAGE_S) && OUTAGE_S > 0, `AMBIT_E2E_CP_OUTAGE_S=${OUTAGE_S}`);
    c = await startMeshCluster({ name: "outage", manifests: MANIFESTS, gateControlPlane: true });
  });
  after(async () => {
    await c?.down();
  });

  it(`no request fails while the control plane is down for ${OUTAGE_S} s; a change after it returns is enforced`, (t) =>
    c.explain(async () => {
      const client = c.pod("client");
      const server = c.pod("server");
      const byIp = `http://${server.ip}:${HTTP_PORT}/`;
      const byVip = `http://${c.vip("server")}/`;
      assert.deepEqual(await httpGet(client.netns, byIp), {
        status: 200,
        body: `from=${client.ip} pod=server`,
      });

      const loopMs = (OUTAGE_S + 10) * 1000; // covers hold (≈2 s) + outage + restart (≈5 s)
      const loops = [
        requestLoop(client.netns, byIp, INTERVAL_MS, loopMs),
        requestLoop(client.netns, byVip, INTERVAL_MS, loopMs),
      ];
      await sleep(2000);
      const release = await c.holdControlPlane();
      const downAt = Date.now();
      let released = false;
      try {
        // Really down: nothing accepts on the xDS/CA address from a node.
        const cp = c.status().controlPlane.address;
        const probe = await httpGet(c.nodeNetns("node-1"), `http://${cp}/`, 2000);
        assert.ok("error" in probe && /ECONNREFUSED|EHOSTUNREACH/.test(probe.error), JSON.stringify(probe));
        await sleep(Math.max(0, OUTAGE_S * 1000 - (Date.now() - downAt)));
        t.diagnostic(`control plane down for ${((Date.now() - downAt) / 1000).toFixed(1)} s`);
        await release();
        released = true;
      } finally {
        if (!released) await release().catch(() => undefined);
      }
      const [ip, vip] = (await Promise.all(loops)) as [LoopSummary, LoopSummary];
      t.diagnostic(JSON.stringify({ ip, vip }));
      // Each loop ran through the whole outage, at roughly its pace, without a single failure.
      const minimum = Math.floor(((OUTAGE_S * 1000) / INTERVAL_MS) * 0.5);
      for (const [name, s] of [
        ["by pod IP", ip],
        ["by VIP", vip],
      ] as const) {
        assert.equal(s.failed, 0, `${name}: ${JSON.stringify(s.failures)}`);
        assert.ok(s.ok >= minimum, `${name}: only ${s.ok} requests (want ≥ ${minimum})`);
        assert.deepEqual(Object.keys(s.statuses), ["200"]);
      }

      // The control plane is back: a new policy reaches node-2's ztunnel and is enforced.
      const since = nowIso();
      const appliedAt = Date.now();
      await c.apply(
        authorizationPolicy({
          name: "deny-after-outage",
          namespace: "steady",
          target: "server",
          action: "DENY",
          from: { principals: ["cluster.local/ns/steady/sa/client"] },
        }),
      );
      const { refused, record: rec } = await waitRefused(c, "the new DENY enforced after the outage", {
        node: "node-2",
        since,
        attempt: async () => {
          const r = await httpGet(client.netns, byIp);
          return "error" in r ? r : undefined;
        },
        pred: (x) =>
          x.direction === "inbound" && x.src_addr.startsWith(`${client.ip}:`) && x.error === "denied",
        ms: 60_000,
      });
      t.diagnostic(`policy enforced ${Date.now() - appliedAt} ms after apply (${refused.error})`);
      assert.equal(rec.response_flags, "DENY");
      assert.match(rec.detail ?? "", /explicitly denied by steady\/deny-after-outage/);
    }));
});

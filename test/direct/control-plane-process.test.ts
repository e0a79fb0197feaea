/**
 * The control plane as a real process (src/main.ts through tsx): a temp config dir, a node
 * credential, ztunnel's real xDS client receiving the workloads over TLS, the real CA client
 * getting a certificate for a workload on its node (and refused for one elsewhere), the status
 * endpoint on its unix socket, live config changes, and a graceful SIGTERM.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { formatIdentity, makeIdentity, NODE_NAME_HEADER } from "@ambit/api";
import { createNodeCredential, type NodeCredential } from "@ambit/control-plane";
import { createTestCsr, killMains, type MainProcess, startMain, stopMain, waitFor } from "@ambit/testing";
import { CaClient, ProxyState, ZtunnelXdsClient } from "@ambit/ztunnel";

const CONFIG = `apiVersion: v1
kind: Namespace
metadata: {name: demo, labels: {istio.io/dataplane-mode: ambient}}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: demo, uid: uid-client, labels: {app: client}}
spec: {serviceAccountName: client, nodeName: node-a}
status: {phase: Running, podIP: 10.9.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: demo, uid: uid-server, labels: {app: server}}
spec: {serviceAccountName: server, nodeName: node-b}
status: {phase: Running, podIP: 10.9.2.2}
---
apiVersion: v1
kind: Service
metadata: {name: server, namespace: demo}
spec: {selector: {app: server}, clusterIP: 10.96.0.10, ports: [{name: http, port: 80, targetPort: 8080}]}
`;

function getJson(
  socketPath: string,
  path: string,
): // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked field by field below
Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: "GET" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Poll tightly; the generous limit covers a from-sources (tsx) start on a loaded CI machine. */
const wait = <T>(what: string, poll: () => Promise<T | undefined> | T | undefined) =>
  waitFor(what, poll, { timeoutMs: 40_000, intervalMs: 50 });

describe("control-plane process", () => {
  let dir: string;
  let proc: MainProcess;
  let cred: NodeCredential;
  let port: number;
  let rootsPem: string;
  const sock = (): string => join(dir, "cp-status.sock");

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-cp-proc-"));
    await mkdir(join(dir, "config"));
    await writeFile(join(dir, "config", "demo.yaml"), CONFIG);
    cred = await createNodeCredential(dir, "node-a");
    proc = startMain("packages/control-plane/src/main.ts", [
      ...["--config-dir", join(dir, "config"), "--state-dir", dir, "--listen", "127.0.0.1:0"],
      ...["--status-socket", sock()],
    ]);
    const st = await wait("status endpoint", async () =>
      existsSync(sock()) ? (await getJson(sock(), "/status")).body : undefined,
    );
    port = st.xdsPort;
    rootsPem = readFileSync(join(dir, "ca", "root-cert.pem"), "utf8");
  });
  after(async () => {
    killMains(proc);
    await rm(dir, { recursive: true, force: true });
  });

  it("serves workloads over delta ADS to an authenticated ztunnel client", async () => {
    const state = new ProxyState();
    const client = new ZtunnelXdsClient({
      address: `127.0.0.1:${port}`,
      rootCertPem: rootsPem,
      token: () => cred.token,
      headers: { [NODE_NAME_HEADER]: "node-a" },
      node: { podName: "ztunnel-node-a", podNamespace: "istio-system", nodeName: "node-a" },
      state,
    });
    client.start();
    try {
      await client.ready;
      const uids = [...state.workloads()].map((w) => w.uid).sort();
      assert.deepEqual(uids, ["Kubernetes//Pod/demo/client", "Kubernetes//Pod/demo/server"]);
      assert.ok(state.findServiceByVip("", "10.96.0.10"), "service by VIP");
      // a config change reaches the client
      await writeFile(
        join(dir, "config", "extra.yaml"),
        CONFIG.replaceAll("server", "other")
          .replace("10.9.2.2", "10.9.2.3")
          .replace("10.96.0.10", "10.96.0.11")
          .split("---")
          .slice(2)
          .join("---"),
      );
      await wait("new workload", () => state.findWorkloadByUid("Kubernetes//Pod/demo/other"));
      const syncz = await getJson(sock(), "/debug/syncz");
      assert.equal(syncz.body.streams.length, 1);
      assert.equal(syncz.body.streams[0].authenticatedNode, "node-a");
    } finally {
      client.close();
    }
  });

  it("rejects an xDS client with a wrong token", async () => {
    const state = new ProxyState();
    const events: string[] = [];
    const client = new ZtunnelXdsClient({
      address: `127.0.0.1:${port}`,
      rootCertPem: rootsPem,
      token: () => "A".repeat(43),
      headers: { [NODE_NAME_HEADER]: "node-a" },
      node: { podName: "z", podNamespace: "istio-system", nodeName: "node-a" },
      state,
      backoff: { initialMs: 50, maxMs: 100 },
      onEvent: (e) => events.push(JSON.stringify(e)),
    });
    client.start();
    try {
      await wait("a rejected stream", () =>
        events.some((e) => /UNAUTHENTICATED|unauthenticated|16/.test(e)) ? true : undefined,
      );
      assert.equal(client.isReady(), false);
      assert.equal([...state.workloads()].length, 0);
    } finally {
      client.close();
    }
  });

  it("issues a certificate for a workload on the caller's node and refuses one elsewhere", async () => {
    const ca = new CaClient({ address: `127.0.0.1:${port}`, rootsPem, node: "node-a", token: cred.token });
    try {
      const mine = makeIdentity("demo", "client");
      const csr = await createTestCsr({ uris: [formatIdentity(mine)] });
      const chain = await ca.sign(mine, csr.csrPem, 3600);
      assert.ok(chain.length >= 2);
      assert.match(chain[0] ?? "", /BEGIN CERTIFICATE/);
      const other = makeIdentity("demo", "server");
      const csr2 = await createTestCsr({ uris: [formatIdentity(other)] });
      await assert.rejects(ca.sign(other, csr2.csrPem, 3600), /PERMISSION_DENIED.*node-a/);
    } finally {
      ca.close();
    }
  });

  it("reports config errors on the status endpoint", async () => {
    await writeFile(
      join(dir, "config", "bad.yaml"),
      "apiVersion: v1\nkind: Service\nmetadata: {name: bad, namespace: demo}\nspec: {ports: nope}\n",
    );
    const body = await wait("config error", async () => {
      const r = await getJson(sock(), "/debug/config_errors");
      return r.body.summary.errors > 0 ? r.body : undefined;
    });
    assert.ok(
      body.issues.some((i: { file?: string; location?: { file?: string } }) =>
        JSON.stringify(i).includes("bad.yaml"),
      ),
    );
  });

  it("stops gracefully on SIGTERM", async () => {
    assert.equal(await stopMain(proc), 0, proc.log.slice(-2000));
    assert.equal(existsSync(sock()), false);
  });
});

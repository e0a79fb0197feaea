/**
 * Issue 3 end to end, in process: the control plane's real CA service on its shared TLS listener,
 * ztunnel's SecretManager + CaClient with a real node credential, and mTLS handshakes between two
 * workloads while the CA's short maximum TTL forces rotations.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import type { Identity } from "@ambit/api";
import { formatIdentity, makeIdentity } from "@ambit/api";
import {
  CertificateAuthority,
  ControlPlaneServer,
  createCaService,
  createLocalNodeAuthenticator,
  createNodeCredential,
  type NodeCredential,
} from "@ambit/control-plane";
import { hboneClientOptions, hboneServerSocketOptions, verifyHboneClient } from "@ambit/core";
import { CaClient, CertificateError, SecretManager } from "@ambit/ztunnel";

const sleepId = makeIdentity("default", "sleep");
const pageId = makeIdentity("bookinfo", "productpage");
const onNode = new Map<string, Identity[]>([["node-a", [sleepId, pageId]]]);

describe("control-plane CA ⇄ ztunnel SecretManager", () => {
  let dir: string;
  let server: ControlPlaneServer;
  let ca: CertificateAuthority;
  let port: number;
  let cred: NodeCredential;
  const closers: (() => void)[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-e2e-ca-"));
    ca = await CertificateAuthority.create({ stateDir: dir, maxTtlSeconds: 4 });
    cred = await createNodeCredential(dir, "node-a");
    const svc = createCaService({
      ca,
      authenticator: createLocalNodeAuthenticator(dir),
      isIdentityOnNode: (node, id) =>
        (onNode.get(node) ?? []).some((x) => formatIdentity(x) === formatIdentity(id)),
    });
    const serving = await ca.issueServingCertificate({ dnsNames: ["localhost"], ips: ["127.0.0.1"] });
    server = new ControlPlaneServer({ host: "127.0.0.1", port: 0, tls: serving });
    server.addService(svc.definition, svc.handlers);
    port = await server.start();
  });
  after(async () => {
    for (const c of closers) c();
    await server.stop(100);
    await rm(dir, { recursive: true, force: true });
  });

  function manager(node: string, token: string): SecretManager {
    const client = new CaClient({ address: `127.0.0.1:${port}`, rootsPem: ca.rootsPem, node, token });
    const m = new SecretManager({ signer: client });
    closers.push(
      () => m.close(),
      () => client.close(),
    );
    return m;
  }

  it("denies identities not on the node and unknown credentials", async () => {
    const m = manager("node-a", cred.token);
    await assert.rejects(m.fetchCertificate(makeIdentity("kube-system", "admin")), (e: unknown) => {
      return (
        e instanceof CertificateError &&
        e.code === "ca_rejected" &&
        /PERMISSION_DENIED.*node-a/.test(e.message)
      );
    });
    const bad = manager("node-a", "B".repeat(43));
    await assert.rejects(bad.fetchCertificate(sleepId), (e: unknown) => {
      return e instanceof CertificateError && e.code === "ca_rejected" && /UNAUTHENTICATED/.test(e.message);
    });
  });

  it("clamped 4 s certificates rotate under continuous mTLS without a failed handshake", async () => {
    const m = manager("node-a", cred.token);
    const first = await m.fetchCertificate(sleepId);
    await m.fetchCertificate(pageId);
    assert.equal(first.notAfter.getTime() - first.notBefore.getTime(), 4_000, "24 h request clamped to 4 s");
    const serials = new Set<string>();
    const srv = net.createServer((raw) => {
      const cert = m.findCertificate(pageId);
      if (!cert) {
        raw.destroy();
        return;
      }
      const s = new tls.TLSSocket(raw, hboneServerSocketOptions(cert.secureContext));
      s.on("secure", () => (verifyHboneClient(s, "cluster.local").ok ? s.end("ok") : s.destroy()));
      s.on("error", () => s.destroy());
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const srvPort = (srv.address() as net.AddressInfo).port;
    const failures: string[] = [];
    let ok = 0;
    // Renewal is due at half-life (2 s); 4.6 s of traffic crosses at least one rotation, and the
    // 2 s margin before expiry keeps a loaded CI machine from outrunning the renewal.
    const until = Date.now() + 4_600;
    while (Date.now() < until) {
      await new Promise<void>((resolve) => {
        const cert = m.findCertificate(sleepId);
        if (!cert) {
          failures.push("client certificate unavailable");
          return resolve();
        }
        serials.add(cert.serial);
        const s = tls.connect({
          host: "127.0.0.1",
          port: srvPort,
          ...hboneClientOptions(cert.secureContext, [pageId]),
        });
        let body = "";
        s.on("data", (d) => {
          body += d;
        });
        s.on("end", () => {
          if (body === "ok") ok++;
          else failures.push(`closed: ${body}`);
          resolve();
        });
        s.on("error", (e) => {
          failures.push(String(e));
          resolve();
        });
      });
    }
    await new Promise<void>((r) => srv.close(() => r()));
    assert.deepEqual(failures, []);
    assert.ok(ok > 20, `${ok} handshakes`);
    assert.ok(serials.size >= 2, `rotated through ${serials.size} certificates`);
  });
});

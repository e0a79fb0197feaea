import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Identity } from "@ambit/api";
import { formatIdentity, makeIdentity } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { isLogLevel, setLogLevel, setLogSink } from "@ambit/core";
import { createTestCsr } from "@ambit/testing";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { createLocalNodeAuthenticator } from "../auth/local-node-authenticator.js";
import { createNodeCredential, type NodeCredential } from "../auth/node-credential-store.js";
import { CREATE_CERTIFICATE_PATH, caServiceDefinition, createCaService } from "./ca-service.js";
import { CertificateAuthority } from "./certificate-authority.js";

const sleep = makeIdentity("default", "sleep");
const admin = makeIdentity("kube-system", "admin");
const MAX_TTL = 3600;

/** Workloads by node, as a config source would answer. */
const scheduled = new Map<string, Identity[]>([["node-a", [sleep]]]);

interface Call {
  csr: string;
  ttl?: bigint;
  impersonate?: string | number;
  cred?: { node: string; token: string } | undefined;
}

describe("IstioCertificateService over real gRPC + TLS", () => {
  let dir: string;
  let ca: CertificateAuthority;
  let server: grpc.Server;
  let client: grpc.Client;
  let nodeA: NodeCredential;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ambit-ca-svc-"));
    ca = await CertificateAuthority.create({ stateDir: dir, maxTtlSeconds: MAX_TTL });
    nodeA = await createNodeCredential(dir, "node-a");
    await createNodeCredential(dir, "node-b");
    const svc = createCaService({
      ca,
      authenticator: createLocalNodeAuthenticator(dir),
      isIdentityOnNode: (node, id) =>
        (scheduled.get(node) ?? []).some((x) => formatIdentity(x) === formatIdentity(id)),
    });
    const serving = await ca.issueServingCertificate();
    server = new grpc.Server();
    server.addService(svc.definition, svc.handlers);
    const creds = grpc.ServerCredentials.createSsl(null, [
      { cert_chain: Buffer.from(serving.certChainPem), private_key: Buffer.from(serving.keyPem) },
    ]);
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync("127.0.0.1:0", creds, (e, p) => (e ? rej(e) : res(p))),
    );
    client = new grpc.Client(`localhost:${port}`, grpc.credentials.createSsl(Buffer.from(ca.rootsPem)));
  });
  after(async () => {
    client.close();
    await new Promise<void>((r) => server.tryShutdown(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  function call(c: Call): Promise<string[]> {
    const md = new grpc.Metadata();
    const cred = "cred" in c ? c.cred : nodeA;
    if (cred) {
      md.set("authorization", `Bearer ${cred.token}`);
      md.set("x-ambit-node", cred.node);
    }
    const req = create(pb.ca.IstioCertificateRequestSchema, {
      csr: c.csr,
      validityDuration: c.ttl ?? 0n,
      ...(c.impersonate !== undefined ? { metadata: { ImpersonatedIdentity: c.impersonate } } : {}),
    });
    const def = caServiceDefinition["CreateCertificate"]!;
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        CREATE_CERTIFICATE_PATH,
        def.requestSerialize,
        def.responseDeserialize as (b: Buffer) => pb.ca.IstioCertificateResponse,
        req,
        md,
        { deadline: Date.now() + 5000 },
        (err, res) => (err ? reject(err) : resolve(res!.certChain)),
      );
    });
  }

  const csrFor = async (uris: string[], dnsNames: string[] = []) =>
    (await createTestCsr({ uris, dnsNames })).csrPem;
  const rejectsWith = (p: Promise<unknown>, code: grpc.status, re: RegExp) =>
    assert.rejects(p, (e: unknown) => {
      const err = e as grpc.ServiceError;
      assert.equal(err.code, code, `${grpc.status[err.code]}: ${err.details}`);
      assert.match(err.details, re);
      return true;
    });

  it("issues leaf first, root last; URI SAN only; both EKUs; the default TTL is bounded by the maximum", async () => {
    const chain = await call({
      csr: await csrFor([formatIdentity(sleep)]),
      impersonate: formatIdentity(sleep),
    });
    assert.equal(chain.length, 2);
    assert.equal(chain[1], ca.rootsPem);
    const leaf = new X509Certificate(chain[0]!);
    const root = new X509Certificate(chain[1]!);
    assert.ok(leaf.verify(root.publicKey) && leaf.checkIssued(root));
    assert.equal(leaf.subjectAltName, `URI:${formatIdentity(sleep)}`);
    assert.ok(!leaf.subject, "empty subject");
    assert.deepEqual([...(leaf.keyUsage ?? [])].sort(), ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
    const ttl = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000;
    // The 24 h default itself is asserted in app-ca-files.test.ts (maximum above 24 h).
    assert.equal(ttl, MAX_TTL, "default 24 h is bounded by the configured 1 h maximum");
  });

  it("without ImpersonatedIdentity the CSR's URI SAN is the requested identity", async () => {
    const chain = await call({ csr: await csrFor([formatIdentity(sleep)]), ttl: 60n });
    const leaf = new X509Certificate(chain[0]!);
    assert.equal((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000, 60);
  });

  it("TTL above the maximum is clamped to the maximum (documented choice)", async () => {
    const chain = await call({ csr: await csrFor([formatIdentity(sleep)]), ttl: BigInt(MAX_TTL * 10) });
    const leaf = new X509Certificate(chain[0]!);
    assert.equal((Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 1000, MAX_TTL);
  });

  it("PERMISSION_DENIED naming node and identity for a workload not on the node", async () => {
    const id = formatIdentity(admin);
    await rejectsWith(
      call({ csr: await csrFor([id]), impersonate: id }),
      grpc.status.PERMISSION_DENIED,
      /node node-a.*spiffe:\/\/cluster\.local\/ns\/kube-system\/sa\/admin/,
    );
    // Same identity that is fine on node-a is denied to node-b.
    const nodeB = await createNodeCredential(dir, "node-b");
    const s = formatIdentity(sleep);
    await rejectsWith(
      call({ csr: await csrFor([s]), impersonate: s, cred: nodeB }),
      grpc.status.PERMISSION_DENIED,
      /node node-b.*sa\/sleep/,
    );
  });

  it("INVALID_ARGUMENT for forged or extra SANs", async () => {
    const s = formatIdentity(sleep);
    await rejectsWith(
      call({ csr: await csrFor([formatIdentity(admin)]), impersonate: s }),
      grpc.status.INVALID_ARGUMENT,
      /does not match requested identity/,
    );
    await rejectsWith(
      call({ csr: await csrFor([s], ["evil.example"]), impersonate: s }),
      grpc.status.INVALID_ARGUMENT,
      /extra dns:evil\.example/,
    );
    await rejectsWith(
      call({ csr: await csrFor([s, formatIdentity(admin)]), impersonate: s }),
      grpc.status.INVALID_ARGUMENT,
      /exactly one URI SAN, found 2/,
    );
    await rejectsWith(call({ csr: "not a csr", impersonate: s }), grpc.status.INVALID_ARGUMENT, /PEM/);
  });

  it("INVALID_ARGUMENT for malformed or foreign requested identities", async () => {
    const csr = await csrFor([formatIdentity(sleep)]);
    await rejectsWith(
      call({ csr, impersonate: "spiffe://cluster.local/ns/default" }),
      grpc.status.INVALID_ARGUMENT,
      /not a SPIFFE workload identity/,
    );
    await rejectsWith(call({ csr, impersonate: 42 }), grpc.status.INVALID_ARGUMENT, /must be a string/);
    const foreign = makeIdentity("default", "sleep", "other.td");
    scheduled.set("node-a", [sleep, foreign]);
    await rejectsWith(
      call({ csr: await csrFor([formatIdentity(foreign)]), impersonate: formatIdentity(foreign) }),
      grpc.status.INVALID_ARGUMENT,
      /outside trust domain cluster\.local/,
    );
  });

  it("UNAUTHENTICATED for missing, wrong or unknown credentials", async () => {
    const csr = await csrFor([formatIdentity(sleep)]);
    const s = formatIdentity(sleep);
    await rejectsWith(
      call({ csr, impersonate: s, cred: undefined }),
      grpc.status.UNAUTHENTICATED,
      /required/,
    );
    await rejectsWith(
      call({ csr, impersonate: s, cred: { node: "node-a", token: "A".repeat(43) } }),
      grpc.status.UNAUTHENTICATED,
      /does not match/,
    );
    await rejectsWith(
      call({ csr, impersonate: s, cred: { node: "node-x", token: nodeA.token } }),
      grpc.status.UNAUTHENTICATED,
      /no credential/,
    );
  });

  it("logs every decision as one line with node, identity and outcome", async () => {
    const lines: Record<string, unknown>[] = [];
    const prev = setLogSink((l) => {
      const rec = JSON.parse(l) as Record<string, unknown>;
      if (rec["scope"] === "ca.service") lines.push(rec);
    });
    setLogLevel("info"); // the test runner sets AMBIT_LOG=warn; allows are info lines
    const s = formatIdentity(sleep);
    const a = formatIdentity(admin);
    const expected: [string, Record<string, unknown>][] = [];
    try {
      await call({ csr: await csrFor([s]), impersonate: s });
      expected.push(["certificate issued", { node: "node-a", identity: s, decision: "allow" }]);
      await call({ csr: await csrFor([a]), impersonate: a }).catch(() => undefined);
      expected.push([
        "certificate denied",
        { node: "node-a", identity: a, decision: "deny", status: "PERMISSION_DENIED" },
      ]);
      await call({ csr: await csrFor([a]), impersonate: s }).catch(() => undefined);
      expected.push([
        "certificate request rejected",
        { node: "node-a", identity: s, decision: "reject", status: "INVALID_ARGUMENT" },
      ]);
      await call({ csr: "garbage" }).catch(() => undefined);
      expected.push([
        "certificate request rejected",
        { node: "node-a", identity: null, decision: "reject", status: "INVALID_ARGUMENT" },
      ]);
      await call({ csr: await csrFor([s]), cred: { node: "node-a", token: "A".repeat(43) } }).catch(
        () => undefined,
      );
      expected.push([
        "certificate request rejected",
        { node: null, claimedNode: "node-a", identity: s, decision: "reject", status: "UNAUTHENTICATED" },
      ]);
      await call({ csr: await csrFor([s]), impersonate: s, cred: undefined }).catch(() => undefined);
      expected.push([
        "certificate request rejected",
        { node: null, claimedNode: null, identity: s, decision: "reject", status: "UNAUTHENTICATED" },
      ]);
    } finally {
      setLogSink(prev);
      const env = process.env["AMBIT_LOG"] ?? "info";
      setLogLevel(isLogLevel(env) ? env : "info");
    }
    assert.equal(lines.length, expected.length, JSON.stringify(lines, null, 1));
    for (const [i, [msg, fields]] of expected.entries()) {
      const line = lines[i]!;
      assert.equal(line["msg"], msg, `line ${i}`);
      for (const [k, v] of Object.entries(fields)) assert.deepEqual(line[k], v, `line ${i} field ${k}`);
      if (msg !== "certificate issued") assert.equal(typeof line["reason"], "string", `line ${i} reason`);
      else assert.match(String(line["serial"]), /^[0-9a-f]+$/);
    }
  });
});

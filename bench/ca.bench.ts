/**
 * CA benchmark (issue 3): certificates issued per second by the control plane's CA over real
 * gRPC + TLS (CSRs pre-generated, so the figure is the CA's: authenticate, authorize, validate,
 * sign), and the time until N identities on one node hold certificates through ztunnel's
 * SecretManager (key + CSR generation, at most 8 CSRs in flight, as ztunnel does). CA and clients
 * share this process (2-core machine): treat the rate as a lower bound for a dedicated CA.
 *
 *   node --conditions=source --import tsx bench/ca.bench.ts [--certs 1000] [--concurrency 16]
 *        [--identities 100] [--json out.json]
 *
 * Also `npm run bench -- ca [flags]`, and part of every full `npm run bench` (bench/run.ts puts
 * the two figures in the markdown table and the JSON report; `--quick` leaves it out).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatIdentity, makeIdentity } from "@ambit/api";
import {
  CertificateAuthority,
  ControlPlaneServer,
  createCaService,
  createLocalNodeAuthenticator,
  createNodeCredential,
} from "@ambit/control-plane";
import { createTestCsr } from "@ambit/testing";
import { CaClient, SecretManager } from "@ambit/ztunnel";
import type { CaBenchResult } from "./report/results.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      certs: { type: "string", default: "1000" },
      concurrency: { type: "string", default: "16" },
      identities: { type: "string", default: "100" },
      json: { type: "string" },
    },
  });
  const nCerts = Number(values.certs);
  const concurrency = Number(values.concurrency);
  const nIdentities = Number(values.identities);

  const dir = await mkdtemp(join(tmpdir(), "ambit-ca-bench-"));
  const ca = await CertificateAuthority.create({ stateDir: dir });
  const cred = await createNodeCredential(dir, "node-a");
  const svc = createCaService({
    ca,
    authenticator: createLocalNodeAuthenticator(dir),
    // Every identity is "scheduled" on node-a; the lookup itself is part of the measured path.
    isIdentityOnNode: (node) => node === "node-a",
  });
  const serving = await ca.issueServingCertificate();
  const server = new ControlPlaneServer({ host: "127.0.0.1", port: 0, tls: serving });
  server.addService(svc.definition, svc.handlers);
  const port = await server.start();

  // 1) Raw issuance rate: ztunnel's CA client on one channel, pre-generated CSRs.
  const ids = Array.from({ length: concurrency }, (_, i) => makeIdentity("bench", `sa-${i}`));
  const csrs = await Promise.all(ids.map((id) => createTestCsr({ uris: [formatIdentity(id)] })));
  const client = new CaClient({
    address: `localhost:${port}`,
    rootsPem: ca.rootsPem,
    node: "node-a",
    token: cred.token,
  });
  const issueOne = async (i: number) => {
    const chain = await client.sign(ids[i % ids.length]!, csrs[i % csrs.length]!.csrPem, 86_400);
    if (chain.length !== 2) throw new Error(`bad chain of ${chain.length}`);
  };
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) await issueOne(next++);
      }),
    );
  };
  await run(Math.min(50, nCerts)); // warm-up: JIT, TLS session, HTTP/2 stream
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(nCerts);
  const issueMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // CPU per certificate (CA + in-process client): the load-independent figure on a shared host.
  const cpuMsPerCert = (cpu.user + cpu.system) / 1000 / nCerts;
  client.close();

  // 2) N identities on one node via the SecretManager.
  const caClient = new CaClient({
    address: `localhost:${port}`,
    rootsPem: ca.rootsPem,
    node: "node-a",
    token: cred.token,
  });
  const sm = new SecretManager({ signer: caClient });
  const wanted = Array.from({ length: nIdentities }, (_, i) => makeIdentity(`ns-${i % 10}`, `workload-${i}`));
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  for (const id of wanted) sm.prefetch(id);
  await Promise.all(wanted.map((id) => sm.fetchCertificate(id)));
  const allHeldMs = performance.now() - t1;
  const allHeldCpu = process.cpuUsage(cpu1);
  const available = sm.dump().filter((d) => d.state === "available").length;
  sm.close();
  caClient.close();

  const result: CaBenchResult = {
    certsIssued: nCerts,
    concurrency,
    issueSeconds: Math.round(issueMs) / 1000,
    certsPerSecond: Math.round((nCerts / issueMs) * 1000),
    cpuMsPerCert: Math.round(cpuMsPerCert * 100) / 100,
    certsPerCpuSecond: Math.round(1000 / cpuMsPerCert),
    identities: nIdentities,
    identitiesAvailable: available,
    timeUntilAllHeldMs: Math.round(allHeldMs),
    allHeldCpuMs: Math.round((allHeldCpu.user + allHeldCpu.system) / 1000),
    loadAverage1m: Math.round(loadavg()[0]! * 10) / 10,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(result, null, 2)}\n`);
  await server.stop(100);
  await rm(dir, { recursive: true, force: true });
  process.exitCode = available === nIdentities ? 0 : 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`ca bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});

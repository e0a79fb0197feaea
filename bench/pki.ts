import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "@ambit/testing";

/** Files of the run's PKI. Names are what peers' configs reference. */
export interface BenchPki {
  readonly caCert: string;
  /** Node B: the tunnel's server side. SANs: DNS `serverName`, IP of node B, a SPIFFE URI. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** Node A: the tunnel's client side. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** The name clients verify on the server certificate. */
  readonly serverName: string;
}

const TRUST_DOMAIN = "bench.local";

/**
 * Generates a throw-away CA and two ECDSA P-256 leaf certificates with openssl, as an operator of
 * the peers would: the peers under test load PEM files, and openssl is what their docs use.
 */
export async function createBenchPki(dir: string, serverIp: string): Promise<BenchPki> {
  mkdirSync(dir, { recursive: true });
  const p = (f: string): string => join(dir, f);
  const serverName = "node-b.bench";
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.pem"),
    "-days",
    "2",
    "-subj",
    "/O=ambit-bench/CN=bench CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const leaf = async (name: string, cn: string, ext: string): Promise<void> => {
    writeFileSync(p(`${name}.ext`), ext);
    await run("openssl", [
      "req",
      "-new",
      ...ec,
      "-keyout",
      p(`${name}.key`),
      "-out",
      p(`${name}.csr`),
      "-subj",
      `/CN=${cn}`,
    ]);
    await run("openssl", [
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p("ca.pem"),
      "-CAkey",
      p("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-sha256",
      "-extfile",
      p(`${name}.ext`),
      "-out",
      p(`${name}.pem`),
    ]);
  };
  const common = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n";
  await leaf(
    "server",
    serverName,
    `${common}extendedKeyUsage=serverAuth,clientAuth\n` +
      `subjectAltName=DNS:${serverName},DNS:*.${serverName},IP:${serverIp},URI:spiffe://${TRUST_DOMAIN}/ns/bench/sa/server\n`,
  );
  await leaf(
    "client",
    "node-a.bench",
    `${common}extendedKeyUsage=clientAuth,serverAuth\n` +
      `subjectAltName=DNS:node-a.bench,URI:spiffe://${TRUST_DOMAIN}/ns/bench/sa/client\n`,
  );
  return {
    caCert: p("ca.pem"),
    serverCert: p("server.pem"),
    serverKey: p("server.key"),
    clientCert: p("client.pem"),
    clientKey: p("client.key"),
    serverName,
  };
}

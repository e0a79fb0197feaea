/**
 * The CA's default signing material: a self-signed ECDSA P-256 root generated on first start and
 * persisted in `<stateDir>/ca/` (key mode 0600), reused on every restart.
 */
import { createPrivateKey, createPublicKey, X509Certificate as NodeX509, randomBytes } from "node:crypto";
import { chmod, mkdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createLogger } from "@ambit/core";
import { CaError } from "./ca-error.js";
import {
  type CaMaterial,
  loadCaFromFiles,
  materialFromPem,
  parsing,
  randomSerial,
  readRole,
} from "./ca-material.js";
import { type CryptoKeyPair, certPem, splitPemCertificates, subtle, x509 } from "./x509-setup.js";

const log = createLogger("ca.material");

const P256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const ROOT_DIR = "ca";
const ROOT_CERT = "root-cert.pem";
const ROOT_KEY = "root-key.pem";
const ROOT_VALIDITY_DAYS = 3650;

/**
 * The persisted self-signed root of `<stateDir>/ca/`, generated on first start. Restarts reuse it
 * so issued certificates and distributed roots stay valid. A key file readable by others is
 * tightened to 0600 with a warning.
 */
export async function loadOrCreateRoot(stateDir: string, trustDomain: string): Promise<CaMaterial> {
  const dir = join(stateDir, ROOT_DIR);
  const certFile = join(dir, ROOT_CERT);
  const keyFile = join(dir, ROOT_KEY);
  const exists = await stat(keyFile).then(
    (s) => s,
    () => undefined,
  );
  if (exists) {
    if ((exists.mode & 0o077) !== 0) {
      log.warn("CA root key was readable by others; tightening to 0600", { keyFile });
      await chmod(keyFile, 0o600);
    }
    return loadPersistedRoot(certFile, keyFile);
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = (await subtle.generateKey(P256, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=${trustDomain}, CN=ambit root CA`,
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + ROOT_VALIDITY_DAYS * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyDer = await subtle.exportKey("pkcs8", keys.privateKey);
  const suffix = `${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  // Key first, both via temp + rename: a crash never leaves a certificate without its key.
  await writeFile(`${keyFile}.${suffix}`, `${x509.PemConverter.encode(keyDer, "PRIVATE KEY")}\n`, {
    mode: 0o600,
  });
  await rename(`${keyFile}.${suffix}`, keyFile);
  await writeFile(`${certFile}.${suffix}`, certPem(cert), { mode: 0o644 });
  await rename(`${certFile}.${suffix}`, certFile);
  log.info("generated CA root", { certFile, trustDomain });
  return loadCaFromFiles({ certFile, keyFile, rootsFile: certFile });
}

/**
 * The persisted root: the one certificate of `certFile` that holds `keyFile`'s public key. The
 * control plane publishes its whole trust bundle (own root + additional roots) to the same file,
 * so roots an operator has since dropped from `--additional-roots` must not come back from it.
 */
async function loadPersistedRoot(certFile: string, keyFile: string): Promise<CaMaterial> {
  const [certText, keyPem] = await Promise.all([
    readRole(certFile, "root certificate"),
    readRole(keyFile, "root key"),
  ]);
  const spki = parsing(keyFile, "private key", () =>
    createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" }),
  );
  const own = splitPemCertificates(certText).find((p) =>
    parsing(certFile, "certificate", () =>
      new NodeX509(p).publicKey.export({ type: "spki", format: "der" }).equals(spki),
    ),
  );
  if (own === undefined) {
    throw new CaError(
      "bad_ca_material",
      `ca material: ${certFile} holds no certificate for the key in ${keyFile} (replaced by another CA's bundle?); ` +
        "restore it, or remove both files to generate a new root (workloads must then trust the new root)",
    );
  }
  const files = { certFile, keyFile, rootsFile: certFile };
  return materialFromPem({ signerText: own, keyPem, rootsText: own, chainText: undefined }, files);
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseControlPlaneArgs, parseListen, USAGE } from "./main.js";

const base = ["--config-dir", "/c", "--state-dir", "/s"];

test("control-plane flags: the local runtime's command line", () => {
  const c = parseControlPlaneArgs([...base, "--listen", "10.250.0.2:15012"]);
  assert.equal(c.configDir, "/c");
  assert.equal(c.stateDir, "/s");
  assert.equal(c.listenHost, "10.250.0.2");
  assert.equal(c.listenPort, 15012);
  assert.equal(c.statusSocket, "/s/control-plane/status.sock");
  assert.equal(c.logLevel, "info");
  assert.equal(c.mesh, undefined);
});

test("control-plane flags: optional settings", () => {
  const c = parseControlPlaneArgs([
    ...base,
    ...["--listen", "[::1]:0", "--status-port", "0", "--cluster-id", "c1", "--trust-domain", "td"],
    ...["--workload-ttl", "600", "--max-workload-ttl", "3600", "--log-level", "debug"],
  ]);
  assert.deepEqual([c.listenHost, c.listenPort, c.statusPort], ["::1", 0, 0]);
  assert.deepEqual(c.mesh, { clusterId: "c1", trustDomain: "td" });
  assert.deepEqual([c.workloadTtlSeconds, c.maxWorkloadTtlSeconds, c.logLevel], [600, 3600, "debug"]);
});

test("control-plane flags: bad input is refused with the reason", () => {
  const bad: [string[], RegExp][] = [
    [["--state-dir", "/s"], /--config-dir missing/],
    [["--config-dir", "/c"], /--state-dir missing/],
    [[...base, "--listen", "1.2.3.4:99999"], /bad port/],
    [[...base, "--listen", "1.2.3.4:x"], /expected <ip:port>/],
    [[...base, "--listen", ""], /expected <ip:port>/],
    [[...base, "--log-level", "loud"], /--log-level/],
    [[...base, "--workload-ttl", "-5"], /--workload-ttl/],
    [[...base, "--status-port", "1.5"], /--status-port/],
    [[...base, "--unknown"], /Unknown option/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseControlPlaneArgs(argv), re, argv.join(" "));
});

test("parseListen: bare IP gets the control-plane port", () => {
  assert.deepEqual(parseListen("0.0.0.0"), { host: "0.0.0.0", port: 15012 });
  assert.deepEqual(parseListen("[fd00::1]:15012"), { host: "fd00::1", port: 15012 });
});

test("control-plane flags: operator CA directory and extra roots, documented in --help", () => {
  const c = parseControlPlaneArgs([...base, "--ca-dir", "/etc/cacerts", "--additional-roots", "/r.pem"]);
  assert.equal(c.caDir, "/etc/cacerts");
  assert.equal(c.additionalRootsFile, "/r.pem");
  const none = parseControlPlaneArgs(base);
  assert.ok(!("caDir" in none) && !("additionalRootsFile" in none));
  for (const word of ["--ca-dir", "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem"])
    assert.ok(USAGE.includes(word), word);
  assert.match(USAGE, /--additional-roots <file>.*root rotation/);
});

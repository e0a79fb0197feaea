import assert from "node:assert/strict";
import { test } from "node:test";
import { parseZtunnelArgs } from "./main.js";

const base = ["--node", "node-1", "--state-dir", "/s", "--xds-address", "10.250.0.2:15012"];

test("ztunnel flags: the local runtime's command line and its state-dir defaults", () => {
  const c = parseZtunnelArgs(base);
  assert.equal(c.node, "node-1");
  assert.equal(c.xdsAddress, "10.250.0.2:15012");
  assert.equal(c.caAddress, "10.250.0.2:15012");
  assert.equal(c.rootCertPath, "/s/ca/root-cert.pem");
  assert.equal(c.tokenFile, "/s/nodes/node-1/node-token");
  assert.equal(c.zdsSocket, "/s/nodes/node-1/ztunnel.sock");
  assert.equal(c.clusterId, "Kubernetes");
  assert.deepEqual(c.admin, { host: "127.0.0.1", port: 15000 });
  assert.deepEqual(c.metrics, { host: "0.0.0.0", port: 15020 });
  assert.deepEqual(c.readiness, { host: "0.0.0.0", port: 15021 });
});

test("ztunnel flags: overrides", () => {
  const c = parseZtunnelArgs([
    ...base,
    ...["--ca-address", "[fd00::2]:15012", "--root-cert", "/r.pem", "--token-file", "/t", "--no-inpod"],
    ...["--cluster-id", "c1", "--server-name", "cp", "--cert-ttl", "60", "--admin-port", "0"],
  ]);
  assert.equal(c.caAddress, "[fd00::2]:15012");
  assert.deepEqual([c.rootCertPath, c.tokenFile, c.zdsSocket], ["/r.pem", "/t", undefined]);
  assert.deepEqual([c.clusterId, c.serverName, c.certTtlSeconds, c.admin.port], ["c1", "cp", 60, 0]);
});

test("ztunnel flags: bad input is refused with the reason", () => {
  const bad: [string[], RegExp][] = [
    [["--state-dir", "/s", "--xds-address", "a:1"], /--node missing/],
    [["--node", "Node_1", "--state-dir", "/s", "--xds-address", "a:1"], /--node missing or invalid/],
    [["--node", "n", "--xds-address", "a:1"], /--state-dir missing/],
    [["--node", "n", "--state-dir", "/s"], /--xds-address missing/],
    [["--node", "n", "--state-dir", "/s", "--xds-address", "nohostport"], /expected <host:port>/],
    [[...base, "--ca-address", "x"], /--ca-address/],
    [[...base, "--zds-socket", "/z", "--no-inpod"], /exclude each other/],
    [[...base, "--admin-port", "70000"], /--admin-port: bad port/],
    [[...base, "--cert-ttl", "0"], /--cert-ttl/],
    [[...base, "--log-level", "trace"], /--log-level/],
    [[...base, "--bogus"], /Unknown option/],
  ];
  for (const [argv, re] of bad) assert.throws(() => parseZtunnelArgs(argv), re, argv.join(" "));
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import {
  hostPortFlag,
  isLogLevel,
  portFlag,
  proxyBootstrapFlags,
  proxyHttpListenFlags,
} from "./cli-flags.js";

const fail = (msg: string): never => {
  throw new Error(msg);
};

test("portFlag: default, valid, and every bad form", () => {
  assert.equal(portFlag("admin-port", undefined, 15000, fail), 15000);
  assert.equal(portFlag("admin-port", "0", 15000, fail), 0);
  assert.equal(portFlag("admin-port", "65535", 15000, fail), 65535);
  for (const bad of ["", " ", "-1", "65536", "1.5", "x"])
    assert.throws(() => portFlag("admin-port", bad, 1, fail), { message: `--admin-port: bad port ${bad}` });
});

test("hostPortFlag: host:port and [v6]:port with port 1..65535", () => {
  assert.equal(hostPortFlag("xds-address", "10.0.0.1:15012", fail), "10.0.0.1:15012");
  assert.equal(hostPortFlag("xds-address", "[fd00::1]:15012", fail), "[fd00::1]:15012");
  for (const bad of ["10.0.0.1", "10.0.0.1:0", "10.0.0.1:70000", "fd00::1:80", "a b:1", ":80"])
    assert.throws(() => hostPortFlag("xds-address", bad, fail), {
      message: `--xds-address: expected <host:port>, got ${bad}`,
    });
});

test("isLogLevel", () => {
  assert.ok(isLogLevel("debug"));
  assert.ok(!isLogLevel("loud"));
});

test("parseFlagsOrExit prints the message and exits 2", () => {
  const code = `import { parseFlagsOrExit } from ${JSON.stringify(new URL("./cli-flags.ts", import.meta.url).href)};
parseFlagsOrExit(() => { throw new Error("--x missing\\nusage: x"); });`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    encoding: "utf8",
  });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, "--x missing\nusage: x\n");
});

test("proxyHttpListenFlags: Istio's ports by default, loopback-only admin, bad ports refused", () => {
  assert.deepEqual(proxyHttpListenFlags({}, fail), {
    admin: { host: "127.0.0.1", port: 15000 },
    metrics: { host: "0.0.0.0", port: 15020 },
    readiness: { host: "0.0.0.0", port: 15021 },
  });
  const set = proxyHttpListenFlags({ "admin-port": "0", "metrics-port": "1", "readiness-port": "2" }, fail);
  assert.deepEqual([set.admin.port, set.metrics.port, set.readiness.port], [0, 1, 2]);
  assert.throws(() => proxyHttpListenFlags({ "readiness-port": "x" }, fail), {
    message: "--readiness-port: bad port x",
  });
});

test("proxyBootstrapFlags: CA on the xDS address and state-dir files by default; a bad CA address refused", () => {
  const at = { stateDir: "/s", node: "n1", xdsAddress: "10.0.0.1:15012" };
  assert.deepEqual(proxyBootstrapFlags({}, at, fail), {
    caAddress: "10.0.0.1:15012",
    rootCertPath: "/s/ca/root-cert.pem",
    tokenFile: "/s/nodes/n1/node-token",
  });
  const set = proxyBootstrapFlags(
    { "ca-address": "ca:1", "root-cert": "/r.pem", "token-file": "/t" },
    at,
    fail,
  );
  assert.deepEqual(set, { caAddress: "ca:1", rootCertPath: "/r.pem", tokenFile: "/t" });
  assert.throws(() => proxyBootstrapFlags({ "ca-address": "ca" }, at, fail), {
    message: "--ca-address: expected <host:port>, got ca",
  });
});

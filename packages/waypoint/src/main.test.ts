import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { Ports } from "@ambit/api";
import { parseWaypointArgs, UsageError } from "./main.js";

const REQUIRED = [
  ...["--name", "waypoint", "--namespace", "demo", "--node", "node-1"],
  ...["--state-dir", "/var/lib/ambit", "--xds-address", "10.0.0.1:15012"],
];

describe("parseWaypointArgs", () => {
  it("fills every default from the required flags (local state-dir layout, Ports table)", () => {
    const c = parseWaypointArgs(REQUIRED);
    assert.deepEqual(c, {
      name: "waypoint",
      namespace: "demo",
      node: "node-1",
      xdsAddress: "10.0.0.1:15012",
      caAddress: "10.0.0.1:15012",
      rootCertPath: "/var/lib/ambit/ca/root-cert.pem",
      tokenFile: "/var/lib/ambit/nodes/node-1/node-token",
      trustDomain: "cluster.local",
      clusterId: "Kubernetes",
      podName: "waypoint-waypoint",
      podIp: undefined,
      hbone: { host: "0.0.0.0", port: Ports.hbone },
      admin: { host: "127.0.0.1", port: Ports.admin },
      metrics: { host: "0.0.0.0", port: Ports.metrics },
      readiness: { host: "0.0.0.0", port: Ports.readiness },
      logLevel: "info",
    });
  });

  it("takes every optional flag", () => {
    const c = parseWaypointArgs([
      ...REQUIRED,
      ...["--ca-address", "[fd00::1]:15012", "--root-cert", "/r.pem", "--token-file", "/t"],
      ...["--trust-domain", "example.org", "--cluster-id", "c2", "--pod-name", "waypoint-waypoint"],
      ...["--pod-ip", "10.244.1.7", "--hbone-port", "0", "--admin-port", "0", "--metrics-port", "19020"],
      ...["--readiness-port", "19021", "--log-level", "debug"],
    ]);
    assert.equal(c.caAddress, "[fd00::1]:15012");
    assert.equal(c.rootCertPath, "/r.pem");
    assert.equal(c.tokenFile, "/t");
    assert.equal(c.trustDomain, "example.org");
    assert.equal(c.clusterId, "c2");
    assert.equal(c.podIp, "10.244.1.7");
    assert.deepEqual([c.hbone.port, c.admin.port, c.metrics.port, c.readiness.port], [0, 0, 19020, 19021]);
    assert.equal(c.logLevel, "debug");
  });

  const without = (flag: string) => {
    const i = REQUIRED.indexOf(flag);
    return [...REQUIRED.slice(0, i), ...REQUIRED.slice(i + 2)];
  };
  const bad: [string, string[], RegExp][] = [
    ["--name missing", without("--name"), /--name missing/],
    ["--namespace missing", without("--namespace"), /--namespace missing/],
    ["--node missing", without("--node"), /--node missing/],
    ["--state-dir missing", without("--state-dir"), /--state-dir missing/],
    ["--xds-address missing", without("--xds-address"), /--xds-address missing/],
    ["unknown flag", [...REQUIRED, "--bogus", "1"], /bogus/],
    ["positional", [...REQUIRED, "extra"], /extra|positional/i],
    ["xds address without port", [...without("--xds-address"), "--xds-address", "10.0.0.1"], /host:port/],
    ["xds port 0", [...without("--xds-address"), "--xds-address", "10.0.0.1:0"], /host:port/],
    ["ca address garbage", [...REQUIRED, "--ca-address", "a b:1"], /--ca-address/],
    ["name not a DNS label", [...without("--name"), "--name", "Way_Point"], /--name/],
    ["namespace not a DNS label", [...without("--namespace"), "--namespace", "a.b"], /--namespace/],
    ["bad node", [...without("--node"), "--node", "-x"], /--node/],
    ["bad trust domain", [...REQUIRED, "--trust-domain", "Bad Domain"], /--trust-domain/],
    ["pod ip not an IP", [...REQUIRED, "--pod-ip", "10.0.0"], /--pod-ip/],
    ["port out of range", [...REQUIRED, "--admin-port", "70000"], /--admin-port/],
    ["port not a number", [...REQUIRED, "--hbone-port", "x"], /--hbone-port/],
    ["port empty", [...REQUIRED, "--metrics-port", ""], /--metrics-port/],
    ["negative port", [...REQUIRED, "--readiness-port=-1"], /--readiness-port/],
    ["bad log level", [...REQUIRED, "--log-level", "loud"], /--log-level/],
    ["empty cluster id", [...REQUIRED, "--cluster-id", ""], /--cluster-id/],
  ];
  for (const [what, argv, re] of bad) {
    it(`refuses: ${what}`, () => {
      assert.throws(
        () => parseWaypointArgs(argv),
        (e: unknown) =>
          e instanceof UsageError && re.test(e.message) && e.message.includes("usage: waypoint"),
      );
    });
  }
});

describe("waypoint main", () => {
  it("exits 2 with the usage on a usage error", () => {
    const main = new URL("./main.ts", import.meta.url).pathname;
    const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", main, "--name", "w"], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--namespace missing/);
    assert.match(r.stderr, /usage: waypoint --name <gateway>/);
  });
});

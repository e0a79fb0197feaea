import assert from "node:assert/strict";
import { test } from "node:test";
import { controlPlaneConnection } from "./control-plane-connection.js";

const PEM = "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";

test("metadata reads the token per call and sends clusterid and extra headers", () => {
  let token: string | undefined;
  const c = controlPlaneConnection({
    rootCertPem: PEM,
    token: () => token,
    clusterId: "c1",
    headers: { "X-Ambit-Node": "n1" },
  });
  const md0 = c.metadata?.();
  assert.deepEqual(md0?.get("authorization"), []);
  assert.deepEqual(md0?.get("clusterid"), ["c1"]);
  assert.deepEqual(md0?.get("x-ambit-node"), ["n1"]);
  token = "t2";
  assert.deepEqual(c.metadata?.().get("authorization"), ["Bearer t2"]);
});

test("serverName becomes the TLS name override; caller channel options win", () => {
  const c = controlPlaneConnection({
    rootCertPem: PEM,
    serverName: "cp.local",
    clusterId: "c1",
    channelOptions: { "grpc.keepalive_time_ms": 1000 },
  });
  assert.deepEqual(c.channelOptions, {
    "grpc.ssl_target_name_override": "cp.local",
    "grpc.keepalive_time_ms": 1000,
  });
  assert.deepEqual(controlPlaneConnection({ rootCertPem: PEM, clusterId: "c" }).channelOptions, {});
});

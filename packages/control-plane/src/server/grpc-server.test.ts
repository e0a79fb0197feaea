import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adsServiceDefinition } from "@ambit/core";
import { createTestPki } from "@ambit/testing";
import { ControlPlaneServer, ControlPlaneServerError } from "./grpc-server.js";

describe("ControlPlaneServer", () => {
  it("binds TLS on port 0, refuses late services and a taken port, stops", async () => {
    const pki = await createTestPki();
    const leaf = await pki.issue({ dnsNames: ["localhost"] });
    const tls = { certChainPem: leaf.chainPem, keyPem: leaf.keyPem };
    const s = new ControlPlaneServer({ host: "127.0.0.1", port: 0, tls });
    assert.throws(
      () => s.port,
      (e: unknown) => e instanceof ControlPlaneServerError && e.code === "not_started",
    );
    s.addService(adsServiceDefinition, { DeltaAggregatedResources: () => {} });
    const port = await s.start();
    assert.ok(port > 0);
    assert.equal(s.port, port);
    assert.equal(await s.start(), port, "start is idempotent");
    assert.throws(
      () => s.addService(adsServiceDefinition, {}),
      (e: unknown) => e instanceof ControlPlaneServerError && e.code === "already_started",
    );
    const clash = new ControlPlaneServer({ host: "127.0.0.1", port, tls });
    await assert.rejects(
      clash.start(),
      (e: unknown) => e instanceof ControlPlaneServerError && e.code === "bind_failed",
    );
    await s.stop(50);
    await clash.stop(50);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { wl } from "./testdata/mesh.js";
import { workloadBaggage } from "./workload-baggage.js";

describe("workloadBaggage", () => {
  it("formats Istio's keys, with locality only when asked", () => {
    const w = wl("sleep", "10.0.0.1", { locality: { region: "r1", zone: "z1", subzone: "" } });
    assert.equal(
      workloadBaggage(w, false),
      "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1",
    );
    assert.match(workloadBaggage(w, true), /,cloud\.region=r1,cloud\.availability_zone=z1$/);
  });

  it("caches per workload object, so a replaced workload (state update) is formatted afresh", () => {
    const w = wl("sleep", "10.0.0.1");
    assert.equal(workloadBaggage(w, true), workloadBaggage(w, true));
    const updated = { ...w, canonicalRevision: "v2" };
    assert.match(workloadBaggage(updated, true), /service\.version=v2/);
    assert.match(workloadBaggage(w, true), /service\.version=v1/);
  });
});

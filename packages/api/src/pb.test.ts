import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import * as pb from "./pb.js";

// Wire-compatibility spot checks: tag bytes prove the field numbers match Istio's (wire-spec §3.7, §5.1).
describe("generated protobuf wire layout", () => {
  it("Workload.uid is field 20 (tag 0xa2 0x01)", () => {
    const bytes = toBinary(pb.workload.WorkloadSchema, create(pb.workload.WorkloadSchema, { uid: "x" }));
    assert.deepEqual([...bytes], [0xa2, 0x01, 0x01, 0x78]);
  });
  it("DelWorkload.uid is field 2", () => {
    const bytes = toBinary(pb.zds.DelWorkloadSchema, create(pb.zds.DelWorkloadSchema, { uid: "u" }));
    assert.deepEqual([...bytes], [0x12, 0x01, 0x75]);
  });
  it("WorkloadRequest.keep is field 5", () => {
    const msg = create(pb.zds.WorkloadRequestSchema, { payload: { case: "keep", value: { uid: "u" } } });
    assert.equal(toBinary(pb.zds.WorkloadRequestSchema, msg)[0], (5 << 3) | 2);
  });
  it("Clause.matches is field 2 and ServiceAccountMatch fields are 1/2", () => {
    const clause = create(pb.security.ClauseSchema, {
      matches: [{ serviceAccounts: [{ namespace: "n", serviceAccount: "s" }] }],
    });
    assert.deepEqual(
      [...toBinary(pb.security.ClauseSchema, clause)],
      [0x12, 0x08, 0x5a, 0x06, 0x0a, 0x01, 0x6e, 0x12, 0x01, 0x73],
    );
  });
  it("IstioCertificateRequest uses fields 1, 3, 4 (no 2)", () => {
    const req = create(pb.ca.IstioCertificateRequestSchema, { csr: "c", validityDuration: 5n });
    assert.deepEqual([...toBinary(pb.ca.IstioCertificateRequestSchema, req)], [0x0a, 0x01, 0x63, 0x18, 0x05]);
  });
});

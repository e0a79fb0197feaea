import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pb from "@ambit/api/pb";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  decodeZdsAck,
  decodeZdsHello,
  decodeZdsRequest,
  encodeZdsAck,
  encodeZdsHello,
  encodeZdsRequest,
  nextZdsBackoff,
  ZDS_MAX_DATAGRAM,
  type ZdsDatagram,
  ZdsError,
  type ZdsRequest,
} from "./index.js";

const dg = (data: Uint8Array, fds: number[] = [], truncated = false): ZdsDatagram => ({
  data,
  fds,
  truncated,
});
const code = (c: string) => (e: unknown) => e instanceof ZdsError && e.code === c;

describe("zds codec", () => {
  it("round-trips every request kind with Istio's field numbers", () => {
    const add: ZdsRequest = {
      t: "add",
      uid: "u-1",
      info: { name: "p", namespace: "ns", serviceAccount: "sa" },
    };
    assert.deepEqual(decodeZdsRequest(dg(encodeZdsRequest(add), [7])), add);
    for (const r of [{ t: "keep", uid: "u-2" }, { t: "del", uid: "u-3" }, { t: "snapshot_sent" }] as const) {
      assert.deepEqual(decodeZdsRequest(dg(encodeZdsRequest(r))), r);
    }
    // DelWorkload.uid is field 2 inside WorkloadRequest.del (field 2): tag 0x12, len, tag 0x12.
    assert.deepEqual([...encodeZdsRequest({ t: "del", uid: "x" })], [0x12, 3, 0x12, 1, 0x78]);
    // keep is field 5 (tag 0x2a), its uid field 1 (tag 0x0a).
    assert.deepEqual([...encodeZdsRequest({ t: "keep", uid: "x" })], [0x2a, 3, 0x0a, 1, 0x78]);
    // snapshot_sent is field 3, empty.
    assert.deepEqual([...encodeZdsRequest({ t: "snapshot_sent" })], [0x1a, 0]);
  });

  it("enforces the fd rules", () => {
    const add = encodeZdsRequest({
      t: "add",
      uid: "u",
      info: { name: "", namespace: "", serviceAccount: "" },
    });
    assert.throws(() => decodeZdsRequest(dg(add)), code("missing_fd"));
    assert.throws(() => decodeZdsRequest(dg(add, [3, 4])), code("unexpected_fd"));
    assert.throws(
      () => decodeZdsRequest(dg(encodeZdsRequest({ t: "del", uid: "u" }), [3])),
      code("unexpected_fd"),
    );
    assert.throws(() => decodeZdsHello(dg(encodeZdsHello(), [3])), code("unexpected_fd"));
    assert.throws(() => decodeZdsAck(dg(encodeZdsAck(), [3])), code("unexpected_fd"));
  });

  it("rejects truncation, garbage, unknown payloads, empty uids and old versions", () => {
    assert.throws(() => decodeZdsRequest(dg(new Uint8Array(10), [], true)), code("truncated"));
    assert.throws(() => decodeZdsRequest(dg(new Uint8Array(ZDS_MAX_DATAGRAM))), code("truncated"));
    assert.throws(() => decodeZdsRequest(dg(new Uint8Array([0xff, 0xff, 0xff]))), code("malformed"));
    assert.throws(() => decodeZdsRequest(dg(new Uint8Array(0))), code("unknown_message"));
    assert.throws(() => decodeZdsAck(dg(new Uint8Array(0))), code("unknown_message"));
    assert.throws(() => encodeZdsRequest({ t: "del", uid: "" }), code("empty_uid"));
    const emptyUid = toBinary(
      pb.zds.WorkloadRequestSchema,
      create(pb.zds.WorkloadRequestSchema, {
        payload: { case: "keep", value: create(pb.zds.KeepWorkloadSchema, {}) },
      }),
    );
    assert.throws(() => decodeZdsRequest(dg(emptyUid)), code("empty_uid"));
    const v0 = toBinary(
      pb.zds.ZdsHelloSchema,
      create(pb.zds.ZdsHelloSchema, { version: pb.zds.Version.NOT_USED }),
    );
    assert.throws(() => decodeZdsHello(dg(v0)), code("unsupported_version"));
    assert.doesNotThrow(() => decodeZdsHello(dg(encodeZdsHello())));
    const long = { name: "n".repeat(1100), namespace: "ns", serviceAccount: "sa" };
    assert.throws(() => encodeZdsRequest({ t: "add", uid: "u", info: long }), code("too_large"));
  });

  it("acks carry the NACK text and always fit the buffer", () => {
    assert.equal(decodeZdsAck(dg(encodeZdsAck())), "");
    assert.equal(decodeZdsAck(dg(encodeZdsAck("boom"))), "boom");
    const big = encodeZdsAck("e".repeat(5000));
    assert.ok(big.length < ZDS_MAX_DATAGRAM);
    assert.match(decodeZdsAck(dg(big)), /^e+…$/);
  });

  it("backs off 10 ms doubling to 15 s", () => {
    const seq: number[] = [];
    let d: number | undefined;
    for (let i = 0; i < 14; i++) {
      d = nextZdsBackoff(d);
      seq.push(d);
    }
    assert.deepEqual(seq.slice(0, 4), [10, 20, 40, 80]);
    assert.equal(seq.at(-1), 15_000);
  });
});

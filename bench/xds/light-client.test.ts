import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeDeltaResponse, encodeResource, TypeUrl } from "@ambit/core";
import { type LightResponse, LightResponseParser } from "./light-client.js";
import { buildResources } from "./resources.js";

function grpcFrame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

describe("LightResponseParser", () => {
  const { address } = buildResources(400, 40);
  const all = [...address.values()];
  const big = encodeDeltaResponse(
    { typeUrl: TypeUrl.address, nonce: "n-big", systemVersionInfo: "3", removedResources: ["x", "y"] },
    all.map(encodeResource),
  );
  const small = encodeDeltaResponse(
    { typeUrl: TypeUrl.authorization, nonce: "n-small", systemVersionInfo: "4", removedResources: [] },
    [encodeResource(all[0] as (typeof all)[number])],
  );
  const empty = new Uint8Array(0);
  const stream = Buffer.concat([grpcFrame(big), grpcFrame(small), grpcFrame(empty), grpcFrame(big)]);

  const expectParsed = (got: LightResponse[]) => {
    assert.equal(got.length, 4);
    assert.ok(big.length > 64 * 1024, "the big response takes the streaming path");
    for (const r of [got[0], got[3]]) {
      assert.deepEqual(
        { ...r, versions: undefined },
        { typeUrl: TypeUrl.address, nonce: "n-big", resources: all.length, removed: 2, versions: undefined },
      );
    }
    assert.equal(got[1]?.nonce, "n-small");
    assert.equal(got[1]?.resources, 1);
    assert.equal(got[1]?.versions?.get(all[0]?.name ?? ""), all[0]?.version);
    assert.equal(got[2]?.resources, 0);
  };

  it("parses messages however the bytes are split", () => {
    for (const size of [1, 2, 3, 5, 7, 100, 16384, stream.length]) {
      const got: LightResponse[] = [];
      const p = new LightResponseParser((r) => got.push(r));
      for (let i = 0; i < stream.length; i += size) p.push(stream.subarray(i, i + size));
      expectParsed(got);
    }
  });

  it("rejects compressed messages and truncated fields", () => {
    const p = new LightResponseParser(() => {});
    assert.throws(() => p.push(Buffer.from([1, 0, 0, 0, 0])), /compressed/);
    const cut = Buffer.from(big.subarray(0, 70_000));
    const bad = grpcFrame(cut);
    const q = new LightResponseParser(() => {});
    assert.throws(() => q.push(bad), /truncated/);
  });
});

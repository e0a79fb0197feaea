import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { installSharedFrames, sharedFrame } from "./shared-frames.js";

type Serialize = (this: unknown, value: unknown) => Buffer;
const require = createRequire(import.meta.url);
const { BaseServerInterceptingCall } = require("@grpc/grpc-js/build/src/server-interceptors.js") as {
  BaseServerInterceptingCall: { prototype: { serializeMessage: Serialize } };
};
/** The grpc-js internal the hook patches, called the way grpc-js calls it. */
const serialize = (value: unknown): Buffer =>
  BaseServerInterceptingCall.prototype.serializeMessage.call(
    { handler: { serialize: (v: Uint8Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength) } },
    value,
  );

describe("shared gRPC frames", () => {
  it("the hook is active with the pinned grpc-js (an upgrade that breaks it fails here)", () => {
    assert.equal(installSharedFrames(), true);
    assert.equal(installSharedFrames(), true, "idempotent");
  });

  it("a shared payload is sent as one prefixed buffer, the same object for every stream", () => {
    installSharedFrames();
    const payload = sharedFrame(Uint8Array.from([1, 2, 3, 250]));
    assert.deepEqual([...payload], [1, 2, 3, 250]);
    const a = serialize(payload);
    const b = serialize(payload);
    assert.equal(a, b, "no copy per stream");
    assert.deepEqual([...a], [0, 0, 0, 0, 4, 1, 2, 3, 250]);
    assert.equal(a.buffer, payload.buffer, "the prefix sits right before the payload");
  });

  it("other messages keep grpc-js's own framing (a fresh copy each time)", () => {
    installSharedFrames();
    const plain = Uint8Array.from([9, 8]);
    const a = serialize(plain);
    const b = serialize(plain);
    assert.notEqual(a, b);
    assert.deepEqual([...a], [0, 0, 0, 0, 2, 9, 8]);
    // A copy of a shared payload is not shared (the registry is by identity).
    assert.deepEqual([...serialize(sharedFrame(plain).slice())], [0, 0, 0, 0, 2, 9, 8]);
  });
});

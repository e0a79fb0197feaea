// A scripted delta ADS server over TLS for the waypoint's app tests (excluded from the build): the
// test decides every response and sees every request, so it can push what a real control plane
// never produces (a malformed resource) and check the NACK.
import * as pb from "@ambit/api/pb";
import { adsServiceDefinition, type DeltaRequest, type DeltaResponseFrame } from "@ambit/core";
import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";

type Call = grpc.ServerDuplexStream<DeltaRequest, DeltaResponseFrame>;

export interface ScriptedAds {
  readonly address: string;
  readonly streams: { requests: DeltaRequest[]; metadata: grpc.Metadata }[];
  /** Wait until `f` returns a value (polls every 20 ms). */
  waitFor<T>(what: string, f: () => T | undefined, timeoutMs?: number): Promise<T>;
  /** Push one response on the newest stream; returns its nonce. */
  push(typeUrl: string, resources: { name: string; version: string; any: Any }[], removed?: string[]): string;
  /** The ACK/NACK for `nonce`. */
  reply(nonce: string): Promise<DeltaRequest>;
  close(): void;
}

export async function startScriptedAds(serving: { chainPem: string; keyPem: string }): Promise<ScriptedAds> {
  const calls: Call[] = [];
  const streams: ScriptedAds["streams"] = [];
  const server = new grpc.Server();
  server.addService(adsServiceDefinition, {
    DeltaAggregatedResources: (call: Call) => {
      const entry = { requests: [] as DeltaRequest[], metadata: call.metadata };
      calls.push(call);
      streams.push(entry);
      call.on("data", (r: DeltaRequest) => entry.requests.push(r));
      call.on("error", () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      "127.0.0.1:0",
      grpc.ServerCredentials.createSsl(null, [
        { cert_chain: Buffer.from(serving.chainPem), private_key: Buffer.from(serving.keyPem) },
      ]),
      (e, p) => (e ? reject(e) : resolve(p)),
    ),
  );
  let nonce = 0;
  const waitFor = async <T>(what: string, f: () => T | undefined, timeoutMs = 10_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = f();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error(`scripted ADS: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    address: `127.0.0.1:${port}`,
    streams,
    waitFor,
    push(typeUrl, resources, removed = []) {
      const call = calls.at(-1);
      if (!call) throw new Error("scripted ADS: no stream");
      nonce += 1;
      const n = `n${nonce}`;
      call.write(
        create(pb.discovery.DeltaDiscoveryResponseSchema, {
          typeUrl,
          nonce: n,
          removedResources: removed,
          resources: resources.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
        }),
      );
      return n;
    },
    reply(n) {
      return waitFor(`reply to ${n}`, () => streams.at(-1)?.requests.find((r) => r.responseNonce === n));
    },
    close() {
      server.forceShutdown();
    },
  };
}

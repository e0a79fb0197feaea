// Child process of bench/xds.bench.ts: BENCH_COUNT delta ADS clients, one TLS connection each.
// BENCH_CLIENT=engine uses the real client engine (full decode); the default "light" client ACKs
// everything but does not decode large payloads (see light-client.ts for why).
import { buildZtunnelNode, DeltaAdsClient, type DeltaTypeHandler, TypeUrl } from "@ambit/core";
import * as grpc from "@grpc/grpc-js";
import { startLightClient } from "./light-client.js";

const env = (k: string): string => process.env[k] ?? "";
const address = `127.0.0.1:${env("BENCH_PORT")}`;
const first = Number(env("BENCH_FIRST"));
const count = Number(env("BENCH_COUNT"));
const marker = env("BENCH_MARKER");
const [expectAddress, expectAuthorization] = env("BENCH_EXPECT").split(",").map(Number);
const send = (m: unknown) => process.send?.(m);
const credentials = grpc.credentials.createSsl(Buffer.from(env("BENCH_ROOTS")));
const TYPES = [TypeUrl.address, TypeUrl.authorization];
const starters: (() => () => void)[] = [];
const stoppers: (() => void)[] = [];

for (let k = 0; k < count; k++) {
  const id = first + k;
  const node = buildZtunnelNode({
    ip: `10.0.0.${id}`,
    podName: `zt-${id}`,
    podNamespace: "istio-system",
    nodeName: `node-${id}`,
  });
  const held = new Map<string, number>(TYPES.map((t) => [t, 0]));
  const acked = new Set<string>();
  let synced = false;
  let complete = false;
  const onApplied = (
    typeUrl: string,
    added: number,
    removed: number,
    versions: Iterable<[string, string]>,
  ) => {
    held.set(typeUrl, (held.get(typeUrl) ?? 0) + added - removed);
    if (synced && typeUrl === TypeUrl.address) {
      for (const [name, version] of versions)
        if (name === marker) send({ t: "changed", client: id, version });
    }
    if (
      !complete &&
      held.get(TypeUrl.address) === expectAddress &&
      held.get(TypeUrl.authorization) === expectAuthorization
    ) {
      complete = true;
      send({ t: "complete", client: id });
    }
    acked.add(typeUrl);
    if (!synced && acked.size === TYPES.length) {
      synced = true;
      send({
        t: "synced",
        client: id,
        address: held.get(TypeUrl.address),
        authorization: held.get(TypeUrl.authorization),
      });
    }
  };
  if (env("BENCH_CLIENT") === "engine") {
    const handler = (typeUrl: string): DeltaTypeHandler => ({
      typeUrl,
      apply(u) {
        onApplied(
          typeUrl,
          u.resources.length,
          u.removed.length,
          u.resources.map((r) => [r.name, r.version]),
        );
        return [];
      },
    });
    starters.push(() => {
      const c = new DeltaAdsClient({
        address,
        credentials,
        channelOptions: { "grpc.ssl_target_name_override": "localhost", "grpc.use_local_subchannel_pool": 1 },
        metadata: () => {
          const md = new grpc.Metadata();
          md.set("authorization", `bench-${id}`);
          return md;
        },
        node,
        subscriptions: TYPES.map((t) => ({ handler: handler(t) })),
      });
      c.start();
      return () => c.close();
    });
  } else {
    starters.push(() =>
      startLightClient({
        address,
        rootsPem: env("BENCH_ROOTS"),
        node,
        token: `bench-${id}`,
        typeUrls: TYPES,
        onResponse: (r) => onApplied(r.typeUrl, r.resources, r.removed, r.versions ?? []),
      }),
    );
  }
}

process.on("message", (m) => {
  if (m === "start") for (const s of starters) stoppers.push(s());
  if (m === "cpu") {
    const u = process.cpuUsage();
    send({ t: "cpu", ms: (u.user + u.system) / 1000 });
  }
});
process.on("SIGTERM", () => {
  for (const s of stoppers) s();
  process.exit(0);
});
send({ t: "ready" });

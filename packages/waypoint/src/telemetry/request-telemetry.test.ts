import assert from "node:assert/strict";
import { test } from "node:test";
import { makeIdentity } from "@ambit/api";
import * as pb from "@ambit/api/pb";
import { create } from "@bufbuild/protobuf";
import { fromWaypointConfig } from "../config/from-pb.js";
import type { TunnelInfo } from "../listener/request-pipeline.js";
import { labelKey, requestLabels } from "./request-telemetry.js";
import { sourceFromBaggage } from "./source-baggage.js";

const state = fromWaypointConfig(
  create(pb.waypoint.WaypointConfigSchema, {
    namespace: "shop",
    name: "waypoint",
    trustDomain: "cluster.local",
    clusterId: "east",
    listeners: [
      {
        hostname: "reviews.shop.svc.cluster.local",
        namespace: "shop",
        name: "reviews",
        addresses: ["10.96.0.5"],
      },
    ],
    backends: [
      {
        hostname: "reviews.shop.svc.cluster.local",
        namespace: "shop",
        name: "reviews",
        endpoints: [
          {
            address: "10.1.0.9",
            identity: "spiffe://cluster.local/ns/shop/sa/reviews",
            workload: "shop/reviews-v2-7d9f8-abcde",
            ports: { 80: 9080 },
            app: "reviews",
            version: "v2",
            workloadName: "reviews-v2",
            canonicalName: "reviews",
            canonicalRevision: "v2",
          },
        ],
      },
    ],
  }),
);
const listener = state.listeners[0] as TunnelInfo["listener"];
const tunnel = (baggage: string | undefined): TunnelInfo => ({
  state,
  listener,
  servicePort: 80,
  peerIdentity: makeIdentity("shop", "web", "cluster.local"),
  peer: { ip: "10.1.0.4", port: 40000 } as TunnelInfo["peer"],
  source: sourceFromBaggage(baggage, "shop"),
});
const finished = (t: TunnelInfo) => ({
  req: {
    protocol: "http1" as const,
    method: "GET",
    path: "/",
    search: "",
    authority: "reviews",
    headers: {},
    body: Buffer.alloc(0),
  },
  tunnel: t,
  status: 200,
  result: {
    response: { status: 200, headers: {}, body: Buffer.alloc(0) },
    route: undefined,
    notes: {
      upstream: "10.1.0.9:9080",
      upstreamService: "reviews.shop.svc.cluster.local",
      flags: [],
      reason: undefined,
      attempts: 1,
    },
    requestPrincipal: undefined,
  },
  startMs: 0,
  endMs: 1,
  requestBytes: 0,
  responseBytes: 10,
});

test("request labels: Istio's full set, source from the tunnel's baggage, destination from the endpoint", () => {
  const t = tunnel(
    "k8s.cluster.name=east,k8s.namespace.name=shop,k8s.deployment.name=web,service.name=web,service.version=v1",
  );
  assert.deepEqual(requestLabels(finished(t)), {
    reporter: "waypoint",
    source_workload: "web",
    source_canonical_service: "web",
    source_canonical_revision: "v1",
    source_workload_namespace: "shop",
    source_principal: "spiffe://cluster.local/ns/shop/sa/web",
    source_app: "web",
    source_version: "v1",
    source_cluster: "east",
    destination_workload: "reviews-v2",
    destination_canonical_service: "reviews",
    destination_canonical_revision: "v2",
    destination_workload_namespace: "shop",
    destination_principal: "spiffe://cluster.local/ns/shop/sa/reviews",
    destination_app: "reviews",
    destination_version: "v2",
    destination_cluster: "east",
    destination_service: "reviews.shop.svc.cluster.local",
    destination_service_name: "reviews",
    destination_service_namespace: "shop",
    request_protocol: "http",
    response_code: "200",
    grpc_response_status: "",
    response_flags: "-",
    connection_security_policy: "mutual_tls",
  });
  // Without baggage the source is known only by its certificate.
  const bare = requestLabels(finished(tunnel(undefined)));
  assert.equal(bare.source_workload, "unknown");
  assert.equal(bare.source_cluster, "unknown");
  assert.equal(bare.source_workload_namespace, "shop");
  // Two clients under one service account are different label sets (different cached series).
  const other = tunnel("k8s.namespace.name=shop,k8s.deployment.name=batch,service.name=batch");
  assert.notEqual(labelKey(finished(t)), labelKey(finished(other)));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { sourceFromBaggage } from "./source-baggage.js";

test("source workload from the CONNECT's baggage (table)", () => {
  const cases: [string, string | string[] | undefined, string, ReturnType<typeof sourceFromBaggage>][] = [
    [
      "what ztunnel writes for a Deployment",
      "k8s.cluster.name=Kubernetes,k8s.namespace.name=shop,k8s.deployment.name=web,service.name=web,service.version=v2",
      "shop",
      { workload: "web", canonicalName: "web", canonicalRevision: "v2", cluster: "Kubernetes" },
    ],
    [
      "a bare pod, locality keys ignored",
      "k8s.namespace.name=shop,k8s.pod.name=debug,service.name=debug,service.version=latest,cloud.region=r1",
      "shop",
      { workload: "debug", canonicalName: "debug", canonicalRevision: "latest", cluster: "" },
    ],
    [
      "repeated header lines are joined",
      ["k8s.namespace.name=shop", "k8s.job.name=nightly"],
      "shop",
      { workload: "nightly", canonicalName: "", canonicalRevision: "", cluster: "" },
    ],
    [
      "a namespace other than the peer certificate's: ignored whole",
      "k8s.namespace.name=other,k8s.deployment.name=x",
      "shop",
      undefined,
    ],
    ["no namespace key: ignored", "k8s.deployment.name=x,service.name=x", "shop", undefined],
    ["no header", undefined, "shop", undefined],
    ["garbage", "=,,nonsense", "shop", undefined],
  ];
  for (const [name, value, ns, want] of cases) assert.deepEqual(sourceFromBaggage(value, ns), want, name);
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { socketAddress } from "@ambit/api";
import {
  connectHeaders,
  formatBaggage,
  formatForwarded,
  newTraceparent,
  parseBaggage,
  parseForwardedHost,
  parseTraceparent,
} from "./headers.js";

describe("hbone headers", () => {
  it("forwarded: for= with and without host", () => {
    assert.equal(formatForwarded(socketAddress("10.0.0.1", 4242)), 'for="10.0.0.1:4242"');
    assert.equal(
      formatForwarded(socketAddress("fd00::1", 80), "reviews.bookinfo.svc.cluster.local"),
      'for="[fd00::1]:80";host=reviews.bookinfo.svc.cluster.local',
    );
    assert.equal(parseForwardedHost('for="10.0.0.1:1";host=a.b.svc'), "a.b.svc");
    assert.equal(parseForwardedHost('for="10.0.0.1:1"'), undefined);
    assert.equal(parseForwardedHost(undefined), undefined);
  });

  it("baggage: Istio key order, empty values dropped", () => {
    const table: [Parameters<typeof formatBaggage>[0], string][] = [
      [{}, ""],
      [
        {
          clusterName: "Kubernetes",
          namespace: "default",
          workloadType: "deployment",
          workloadName: "sleep",
          serviceName: "sleep",
          serviceVersion: "v1",
          region: "r1",
          zone: "z1",
        },
        "k8s.cluster.name=Kubernetes,k8s.namespace.name=default,k8s.deployment.name=sleep,service.name=sleep,service.version=v1,cloud.region=r1,cloud.availability_zone=z1",
      ],
      [{ namespace: "ns", workloadType: "pod", workloadName: "" }, "k8s.namespace.name=ns"],
      [{ workloadType: "job", workloadName: "j", serviceVersion: "" }, "k8s.job.name=j"],
    ];
    for (const [input, want] of table) assert.equal(formatBaggage(input), want);
    assert.deepEqual(
      [...parseBaggage("k8s.namespace.name=ns, service.name=x,junk")],
      [
        ["k8s.namespace.name", "ns"],
        ["service.name", "x"],
      ],
    );
  });

  it("traceparent: fresh and well formed; parser rejects junk", () => {
    const a = newTraceparent();
    assert.match(a, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    assert.notEqual(a, newTraceparent());
    // Ids come from a pooled random buffer: stay unique and well formed across refills.
    const many = new Set(Array.from({ length: 1000 }, () => newTraceparent()));
    assert.equal(many.size, 1000);
    for (const t of many) assert.equal(parseTraceparent(t), t);
    assert.equal(parseTraceparent(a), a);
    assert.equal(parseTraceparent("00-zz-1-00"), undefined);
    assert.equal(parseTraceparent(undefined), undefined);
  });

  it("CONNECT block has no :scheme/:path and only given headers", () => {
    assert.deepEqual(connectHeaders({ authority: "[fd00::2]:9080", traceparent: "t" }), {
      ":method": "CONNECT",
      ":authority": "[fd00::2]:9080",
      traceparent: "t",
    });
  });
});

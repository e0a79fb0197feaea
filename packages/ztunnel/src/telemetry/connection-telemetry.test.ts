import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeIdentity } from "@ambit/api";
import { wl } from "../proxy/testdata/mesh.js";
import { type ConnectionRecord, ConnectionTelemetry } from "./connection-telemetry.js";
import { ProxyMetrics, TRAFFIC_LABELS } from "./metrics.js";

function record(): ConnectionRecord {
  return {
    id: "00-0123456789abcdef0123456789abcdef-0123456789abcdef-00",
    reporter: "destination",
    direction: "inbound",
    startedAt: Date.now() - 5,
    src: {
      ip: "10.0.0.1",
      port: 40000,
      workload: wl("sleep", "10.0.0.1"),
      identity: makeIdentity("default", "sleep"),
    },
    dst: {
      ip: "10.0.0.2",
      port: 8080,
      workload: wl("web", "10.0.0.2"),
      identity: makeIdentity("default", "web"),
    },
    mtls: true,
  };
}

describe("ConnectionTelemetry", () => {
  it("Istio metric names and the full label set, in order", async () => {
    const m = new ProxyMetrics();
    const t = new ConnectionTelemetry(m, () => {});
    const rec = record();
    t.opened(rec);
    t.closed(rec, { received: 10, sent: 20 });
    const text = await m.registry.metrics();
    for (const name of [
      "istio_tcp_connections_opened_total",
      "istio_tcp_connections_closed_total",
      "istio_tcp_received_bytes_total",
      "istio_tcp_sent_bytes_total",
    ]) {
      const line = text.split("\n").find((l) => l.startsWith(`${name}{`));
      assert.ok(line, name);
      const keys = [...line.matchAll(/([a-z_]+)="/g)].map((x) => x[1]);
      assert.deepEqual(keys, [...TRAFFIC_LABELS], name);
    }
    assert.match(
      text,
      /istio_tcp_received_bytes_total\{[^}]*source_principal="spiffe:\/\/cluster.local\/ns\/default\/sa\/sleep"[^}]*\} 10/,
    );
    assert.match(
      text,
      /istio_tcp_sent_bytes_total\{[^}]*response_flags="-",connection_security_policy="mutual_tls"\} 20/,
    );
    assert.match(text, /istio_tcp_sockets_open\{reporter="destination"\} 0/);
  });

  it("one JSON access line per close, with reason and flags on failure; unknown labels render 'unknown'", async () => {
    const lines: Record<string, unknown>[] = [];
    const m = new ProxyMetrics();
    const t = new ConnectionTelemetry(m, (l) => lines.push(l));
    const rec: ConnectionRecord = { ...record(), mtls: false, src: { ip: "192.0.2.1", port: 1 } };
    t.closed(
      rec,
      {
        received: 0,
        sent: 0,
        failure: { code: "denied", flags: "DENY", reason: "denied by policy", message: "x" },
      },
      false,
    );
    assert.equal(lines.length, 1);
    const l = lines[0] as Record<string, unknown>;
    assert.equal(l["error"], "denied");
    assert.equal(l["response_flags"], "DENY");
    assert.equal(l["src_addr"], "192.0.2.1:1");
    assert.equal(l["src_workload"], undefined);
    assert.equal(typeof l["duration_ms"], "number");
    const text = await m.registry.metrics();
    assert.match(
      text,
      /istio_tcp_connections_failed_total\{reporter="destination",source_workload="unknown"[^}]*response_flags="DENY",connection_security_policy="unknown"\} 1/,
    );
    assert.match(text, /istio_tcp_connections_opened_total\{[^}]*response_flags="DENY"[^}]*\} 1/);
  });

  it("counts connections of one label set together; a replaced workload object gets fresh labels", async () => {
    const m = new ProxyMetrics();
    const t = new ConnectionTelemetry(m, () => {});
    const rec = record();
    for (let i = 0; i < 3; i++) {
      t.opened(rec);
      t.closed(rec, { received: 5, sent: 7 });
    }
    // A state update delivers a new object for the same pod, now at revision v2.
    const v2: ConnectionRecord = {
      ...rec,
      dst: { ...rec.dst, workload: wl("web", "10.0.0.2", { canonicalRevision: "v2" }) },
    };
    t.opened(v2);
    t.closed(v2, { received: 1, sent: 0 });
    const text = await m.registry.metrics();
    assert.match(text, /istio_tcp_connections_opened_total\{[^}]*destination_version="v1"[^}]*\} 3/);
    assert.match(text, /istio_tcp_received_bytes_total\{[^}]*destination_version="v1"[^}]*\} 15/);
    assert.match(text, /istio_tcp_sent_bytes_total\{[^}]*destination_version="v1"[^}]*\} 21/);
    assert.match(text, /istio_tcp_connections_closed_total\{[^}]*destination_version="v2"[^}]*\} 1/);
    assert.doesNotMatch(
      text,
      /istio_tcp_sent_bytes_total\{[^}]*destination_version="v2"/,
      "no zero-byte series",
    );
    // A second scrape neither loses nor double-counts what was flushed.
    t.opened(rec);
    const again = await m.registry.metrics();
    assert.match(again, /istio_tcp_connections_opened_total\{[^}]*destination_version="v1"[^}]*\} 4/);
    assert.match(again, /istio_tcp_connections_opened_total\{[^}]*destination_version="v2"[^}]*\} 1/);
  });
});

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { ServiceRecord } from "../plan/service-plan.js";
import { renderServiceRules, SERVICE_TABLE } from "./kube-proxy-rules.js";
import { renderPodHosts, renderPodResolvConf } from "./pod-etc-files.js";

function golden(name: string, actual: string): void {
  const url = new URL(`./testdata/${name}`, import.meta.url);
  if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(url, actual);
  assert.equal(actual, readFileSync(url, "utf8"), `golden ${name} (UPDATE_GOLDEN=1 regenerates)`);
}

const web: ServiceRecord = {
  key: "shop/web",
  name: "web",
  namespace: "shop",
  vip: "10.96.0.11",
  selector: { app: "web" },
  ports: [
    { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
    { name: "dns", port: 53, protocol: "UDP", targetPort: 5353 },
  ],
};
const lonely: ServiceRecord = {
  key: "shop/lonely",
  name: "lonely",
  namespace: "shop",
  vip: "10.96.0.12",
  ports: [{ name: "", port: 9080, protocol: "TCP", targetPort: 9080 }],
};
const headless: ServiceRecord = { ...lonely, key: "shop/h", name: "h", vip: "" };

describe("renderServiceRules", () => {
  it("renders DNAT per endpoint, random spread, hairpin masquerade and rejects for empty services", () => {
    const script = renderServiceRules([
      {
        service: web,
        endpoints: [
          [
            { ip: "10.244.1.2", port: 8080, pod: "shop/a" },
            { ip: "10.244.2.2", port: 8080, pod: "shop/b" },
          ],
          [{ ip: "10.244.1.2", port: 5353, pod: "shop/a" }],
        ],
      },
      { service: lonely, endpoints: [[]] },
      { service: headless, endpoints: [[]] },
    ]);
    golden("service-rules.golden.nft", script);
    assert.ok(
      script.startsWith(`table ip ${SERVICE_TABLE} {}\ndelete table ip ${SERVICE_TABLE}\n`),
      "replaces atomically",
    );
    assert.ok(!script.includes("10.96.0.12 tcp dport 9080 jump"), "no DNAT without endpoints");
    assert.ok(script.includes("ip daddr 10.96.0.12 tcp dport 9080 reject with tcp reset"));
  });

  it("renders a valid empty table", () => {
    golden("service-rules-empty.golden.nft", renderServiceRules([]));
  });
});

describe("pod /etc files", () => {
  it("gives short names only for the pod's own namespace", () => {
    const other: ServiceRecord = { ...web, key: "db/pg", name: "pg", namespace: "db", vip: "10.96.0.20" };
    const hosts = renderPodHosts({ name: "client-0", namespace: "shop", ip: "10.244.1.9" }, [
      web,
      other,
      headless,
    ]);
    golden("hosts.golden", hosts);
    assert.match(hosts, /^10\.96\.0\.11\tweb web\.shop /m);
    assert.match(hosts, /^10\.96\.0\.20\tpg\.db /m);
    assert.ok(!hosts.includes("\th "), "headless services get no hosts entry");
    assert.equal(
      renderPodResolvConf("shop", "10.96.0.10"),
      "# written by ambit local mode\nnameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:1\n",
    );
  });
});

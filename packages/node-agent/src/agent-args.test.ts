import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAgentArgs } from "./agent-args.js";

describe("node agent command line", () => {
  it("derives the per-node paths from --state-dir", () => {
    assert.deepEqual(parseAgentArgs(["--node", "n1", "--state-dir", "/s"]), {
      node: "n1",
      stateDir: "/s",
      zdsSocket: "/s/nodes/n1/ztunnel.sock",
      podsFile: "/s/nodes/n1/pods.json",
      statusFile: "/s/nodes/n1/node-agent-status.json",
      dnsCapture: false,
      ipv6: "auto",
    });
    const a = parseAgentArgs([
      "--node",
      "n1",
      "--state-dir",
      "/s",
      "--zds-socket",
      "/z.sock",
      "--dns-capture",
      "--ipv6",
      "off",
    ]);
    assert.equal(a.zdsSocket, "/z.sock");
    assert.equal(a.dnsCapture, true);
    assert.equal(a.ipv6, false);
  });
  for (const [name, argv] of [
    ["missing --node", ["--state-dir", "/s"]],
    ["node with a slash", ["--node", "a/b", "--state-dir", "/s"]],
    ["missing --state-dir", ["--node", "n1"]],
    ["bad --ipv6", ["--node", "n1", "--state-dir", "/s", "--ipv6", "maybe"]],
    ["unknown flag", ["--node", "n1", "--state-dir", "/s", "--bogus"]],
  ] as const) {
    it(`rejects ${name}`, () => assert.throws(() => parseAgentArgs(argv)));
  }
});

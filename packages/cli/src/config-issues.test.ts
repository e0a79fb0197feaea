import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseManifestText, statePaths } from "@ambit/local";
import { useTempDirs } from "@ambit/testing";
import { controlPlaneVersion, reportConfigIssues } from "./config-issues.js";

/** Temp dirs removed when the file's tests end. */
const tempDir = useTempDirs();

describe("reportConfigIssues", () => {
  it("waits for the new snapshot and prints only the applied objects' issues", async () => {
    const root = tempDir("ambit-cfgissues-");
    mkdirSync(join(root, "control-plane"));
    let version = 4;
    const server = createServer((req, res) => {
      if (req.url === "/healthz/ready") res.end(JSON.stringify({ ready: true, snapshotVersion: version }));
      else if (req.url === "/debug/config_errors") {
        res.end(
          JSON.stringify({
            issues: [
              {
                severity: "error",
                message: "bad action",
                path: "spec.action",
                location: { file: "authorizationpolicy--shop--bad.yaml", line: 5 },
              },
              { severity: "warning", message: "other object", location: { file: "service--x--y.yaml" } },
            ],
          }),
        );
      } else res.writeHead(404).end();
    });
    const sock = join(root, "control-plane", "status.sock");
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const paths = statePaths(root);
      assert.equal(await controlPlaneVersion(paths), 4);
      // t0 before the timer: parsing below may take long on a loaded machine, and the check is
      // "returned only after the version moved", i.e. not before the timer fired.
      const t0 = Date.now();
      setTimeout(() => {
        version = 5;
      }, 150);
      const objs = parseManifestText(
        "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: bad, namespace: shop}\nspec: {}\n",
        "p.yaml",
      );
      let err = "";
      const n = await reportConfigIssues(paths, { out: () => undefined, err: (t) => (err += t) }, objs, 4);
      assert.ok(Date.now() - t0 >= 145, "waited for the snapshot to move");
      assert.equal(version, 5);
      assert.equal(n, 1);
      assert.equal(
        err,
        "control plane error: AuthorizationPolicy/shop/bad: bad action (spec.action, line 5)\n",
      );
      assert.equal(
        await reportConfigIssues(paths, { out: () => undefined, err: () => undefined }, objs, undefined),
        0,
      );
    } finally {
      server.close();
    }
  });

  it("is silent without a control plane", async () => {
    const paths = statePaths(tempDir("ambit-cfgissues-"));
    assert.equal(await controlPlaneVersion(paths), undefined);
  });
});

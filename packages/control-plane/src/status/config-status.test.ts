import assert from "node:assert/strict";
import { test } from "node:test";
import { createSnapshotBuilder } from "../model/snapshot-builder.js";
import { createMemorySource } from "../sources/memory-source.js";
import { authorizationGenerator } from "../translate/authorization-generator.js";
import { formatIssue } from "./config-issue.js";
import { createConfigStatus } from "./config-status.js";

const yaml = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: audit, namespace: ns}
spec: {action: AUDIT}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: dry, namespace: ns, annotations: {istio.io/dry-run: "true"}}
spec: {action: DENY, rules: [{}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: mesh-wide, namespace: mesh-root}
spec: {rules: [{}]}
---
apiVersion: v1
kind: Pod
metadata: {name: broken, namespace: ns}
spec: {nodeName: 7}
`;

test("status: source errors and translation warnings, filterable, in display order", async () => {
  const src = createMemorySource();
  src.replaceWithYaml(yaml, "cfg.yaml");
  const builder = createSnapshotBuilder(src, { mesh: { enableDryRun: false, rootNamespace: "mesh-root" } });
  await builder.start();
  const status = createConfigStatus(builder);
  assert.deepEqual(status.summary(), { snapshotVersion: 1, errors: 1, warnings: 2 });
  const [err] = status.errors();
  assert.equal(err?.code, "invalid_object");
  assert.equal(err?.path, "spec.nodeName");
  assert.equal(err?.location?.line, 19);
  assert.match(
    formatIssue(err ?? ({} as never)),
    /^cfg\.yaml:19:\d+: error \[invalid_object\] Pod ns\/broken spec\.nodeName: /,
  );
  assert.deepEqual(
    status.warnings().map((w) => `${w.code}:${w.name}`),
    ["unsupported_action:audit", "dry_run_disabled:dry"],
  );
  assert.deepEqual(
    status.issues({ name: "dry" }).map((i) => i.code),
    ["dry_run_disabled"],
  );
  // The same snapshot's generator output agrees: AUDIT and the disabled dry-run are not sent;
  // the root namespace is configurable and makes the selector-less policy GLOBAL.
  const sent = authorizationGenerator.generate(builder.current());
  assert.deepEqual([...sent.keys()], ["mesh-root/mesh-wide"]);
  await builder.stop();
});

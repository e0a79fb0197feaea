import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { useTempDirs } from "@ambit/testing";
import { LocalError } from "../local-error.js";
import type { DeploymentObject, ServiceObject } from "./manifest-types.js";
import { loadManifests, parseManifestText } from "./parse-manifests.js";

/** Temp dirs removed when the file's tests end. */
const tempDir = useTempDirs();

const DEPLOY = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, version: v1}}
    spec:
      serviceAccountName: web-sa
      containers:
      - name: web
        command: [node, server.js]
        args: ["--port", "8080"]
        env:
        - {name: A, value: "1"}
        - name: MY_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        ports: [{containerPort: 8080, name: http}]
`;

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LocalError, `expected LocalError, got ${String(e)}`);
    return e.code;
  }
  assert.fail("expected an error");
}

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail("expected an error");
}

describe("parseManifestText", () => {
  it("parses a Deployment with defaults and downward-API env", () => {
    const [a] = parseManifestText(DEPLOY, "/m/web.yaml");
    assert.equal(a?.key, "Deployment/shop/web");
    assert.equal(a?.sourceDir, "/m");
    const d = a?.obj as DeploymentObject;
    assert.equal(d.replicas, 3);
    assert.equal(d.template.spec.serviceAccountName, "web-sa");
    const c = d.template.spec.containers[0];
    assert.deepEqual(c?.command, ["node", "server.js"]);
    assert.deepEqual(c?.args, ["--port", "8080"]);
    assert.deepEqual(c?.env, [
      { name: "A", value: "1" },
      { name: "MY_IP", fieldPath: "status.podIP" },
    ]);
    assert.deepEqual(c?.ports, [{ containerPort: 8080, name: "http", protocol: "TCP" }]);
  });

  it("defaults namespace, service account, replicas and service port fields", () => {
    const objs = parseManifestText(
      `apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: [{name: c, command: [sleep, "1"]}]}
---
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: {app: x}, ports: [{port: 80}]}
---
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: x}
spec: {action: DENY}
---
apiVersion: v1
kind: Namespace
metadata: {name: x, labels: {istio.io/dataplane-mode: ambient}}
`,
      "f.yaml",
    );
    assert.deepEqual(
      objs.map((o) => o.key),
      ["Pod/default/p", "Service/default/s", "AuthorizationPolicy/x/deny", "Namespace//x"],
    );
    const s = objs[1]?.obj as ServiceObject;
    assert.deepEqual(s.ports, [{ name: "", port: 80, protocol: "TCP", targetPort: 80 }]);
    assert.equal(objs[2]?.raw["spec"] !== undefined, true, "pass-through keeps the document");
  });

  it("passes the waypoint's L7 kinds (VirtualService, RequestAuthentication, HTTPRoute) through unchanged", () => {
    const objs = parseManifestText(
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: faults, namespace: shop}
spec: {hosts: [reviews], http: [{fault: {abort: {httpStatus: 418, percentage: {value: 100}}}}]}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: shop}
spec: {jwtRules: [{issuer: me}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: shop}
spec: {}
`,
      "l7.yaml",
    );
    assert.deepEqual(
      objs.map((o) => o.key),
      ["VirtualService/shop/faults", "RequestAuthentication/shop/jwt", "HTTPRoute/shop/r"],
    );
    assert.deepEqual(objs[0]?.raw["spec"], {
      hosts: ["reviews"],
      http: [{ fault: { abort: { httpStatus: 418, percentage: { value: 100 } } } }],
    });
  });

  it("rejects bad input with file, document and field", () => {
    assert.equal(
      code(() => parseManifestText("kind: Pod\n", "a.yaml")),
      "invalid_manifest",
    );
    assert.equal(
      code(() => parseManifestText("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "a.yaml")),
      "unsupported_kind",
    );
    const noCmd = message(() =>
      parseManifestText(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c}]}\n",
        "b.yaml",
      ),
    );
    assert.match(noCmd, /b\.yaml: document 1 \(Pod\).*command.*required/);
    assert.match(
      message(() =>
        parseManifestText(
          "apiVersion: v1\nkind: Pod\nmetadata: {name: Bad_Name}\nspec: {containers: []}\n",
          "c.yaml",
        ),
      ),
      /metadata\.name/,
    );
    assert.match(
      message(() => parseManifestText("a: [1,\n", "d.yaml")),
      /d\.yaml: document 1/,
    );
    assert.match(
      message(() => parseManifestText("- 1\n- 2\n", "e.yaml")),
      /expected a mapping/,
    );
    assert.match(
      message(() =>
        parseManifestText(DEPLOY.replace("matchLabels: {app: web}", "matchLabels: {app: other}"), "f.yaml"),
      ),
      /selector app=other does not match/,
    );
    assert.match(
      message(() => parseManifestText(`${DEPLOY}\n---\n${DEPLOY}`, "g.yaml")),
      /declared twice/,
    );
    assert.match(
      message(() =>
        parseManifestText(
          "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: []}\n",
          "h.yaml",
        ),
      ),
      /spec\.ports/,
    );
    assert.match(
      message(() =>
        parseManifestText(
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, command: [a]}, {name: c, command: [b]}]}\n",
          "i.yaml",
        ),
      ),
      /duplicate container name c/,
    );
    assert.match(
      message(() =>
        parseManifestText(
          "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {v: 1}}\nspec: {containers: [{name: c, command: [a]}]}\n",
          "j.yaml",
        ),
      ),
      /metadata\.labels\.v/,
    );
  });
});

describe("loadManifests", () => {
  it("reads directories (sorted *.yaml) and rejects missing paths and cross-file duplicates", () => {
    const dir = tempDir("ambit-manifests-");
    writeFileSync(join(dir, "b.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");
    writeFileSync(join(dir, "a.yml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
    writeFileSync(join(dir, "notes.txt"), "ignored");
    assert.deepEqual(
      loadManifests([dir]).map((o) => o.key),
      ["Namespace//a", "Namespace//b"],
    );
    assert.equal(
      code(() => loadManifests([join(dir, "missing.yaml")])),
      "invalid_argument",
    );
    assert.match(
      message(() => loadManifests([dir, join(dir, "a.yml")])),
      /declared in both/,
    );
  });

  it("accepts the bookinfo sample", () => {
    const here = new URL("../../../../samples/bookinfo", import.meta.url).pathname;
    const objs = loadManifests([here]);
    const kinds = new Set(objs.map((o) => o.obj.kind));
    assert.deepEqual([...kinds].sort(), ["Deployment", "Namespace", "Service", "ServiceAccount"]);
    assert.equal(objs.filter((o) => o.obj.kind === "Deployment").length, 7);
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfigDocuments } from "./parse-documents.js";

const parse = (text: string) => parseConfigDocuments(text, "f.yaml", "test");

test("defaults: namespace 'default' for namespaced kinds, '' for Namespace; origin is the document start", () => {
  const docs = parse(`apiVersion: v1
kind: Service
metadata: {name: s}
---
apiVersion: v1
kind: Namespace
metadata: {name: ns1, namespace: ignored}
`);
  assert.equal(docs.length, 2);
  assert.equal(docs[0]?.key, "Service/default/s");
  assert.equal(docs[0]?.object?.metadata.namespace, "default");
  assert.equal(docs[1]?.key, "Namespace//ns1");
  assert.equal(docs[1]?.object?.metadata.namespace, "");
  assert.deepEqual(docs[1]?.object?.origin, { file: "f.yaml", line: 5, column: 1 });
});

test("misspelt AuthorizationPolicy field is an error at the key's own line (fail closed)", () => {
  const [doc] = parse(`apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: p, namespace: ns}
spec:
  rules:
  - from:
    - source:
        notPrincipal: [x]
`);
  assert.equal(doc?.object, undefined);
  assert.equal(doc?.key, "AuthorizationPolicy/ns/p");
  const [i] = doc?.issues ?? [];
  assert.equal(i?.path, "spec.rules[0].from[0].source.notPrincipal");
  assert.deepEqual(i?.location, { file: "f.yaml", line: 8, column: 9 });
});

test("missing required field points at the nearest existing parent; no name ⇒ missing_identity", () => {
  const [noPort, noName] = parse(`apiVersion: v1
kind: Service
metadata: {name: s}
spec:
  ports:
  - {name: http}
---
apiVersion: v1
kind: Pod
metadata: {labels: {a: b}}
`);
  assert.equal(noPort?.issues[0]?.path, "spec.ports[0].port");
  assert.equal(noPort?.issues[0]?.location?.line, 6);
  assert.equal(noName?.key, undefined);
  assert.equal(noName?.issues[0]?.code, "missing_identity");
  assert.equal(noName?.issues[0]?.path, "metadata.name");
});

test("rejects bad values: wrong apiVersion, label values that are not strings, invalid ports and CIDRs", () => {
  const docs = parse(`apiVersion: security.istio.io/v2
kind: PeerAuthentication
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {version: 2}}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: q}
spec:
  rules:
  - to: [{operation: {ports: ["99999"]}}]
    when: [{key: source.ip, values: ["10.0.0.0/33"]}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: r}
spec:
  portLevelMtls: {8080: {mode: STRICT}}
`);
  const paths = docs.map((d) => d.issues.map((i) => i.path));
  assert.deepEqual(paths, [
    ["apiVersion"],
    ["metadata.labels.version"],
    ["spec.rules[0].to[0].operation.ports[0]", "spec.rules[0].when[0].values[0]"],
    ["spec.portLevelMtls"],
  ]);
  assert.ok(docs.every((d) => d.object === undefined));
});

test("empty documents and comments are skipped; a scalar document is an error", () => {
  const docs = parse("# only a comment\n---\n---\njust a string\n");
  assert.equal(docs.length, 1);
  assert.equal(docs[0]?.issues[0]?.code, "invalid_object");
});

test("alias bombs are rejected as YAML errors instead of being expanded", () => {
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 0; i < 8; i++) {
    const prev = String.fromCharCode(97 + i);
    const next = String.fromCharCode(98 + i);
    lines.push(
      `${next}: &${next} [*${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}, *${prev}]`,
    );
  }
  const [doc] = parse(lines.join("\n"));
  assert.equal(doc?.issues[0]?.code, "yaml_syntax");
});

test("VirtualService: strict matches and faults, located errors", () => {
  const docs = parse(`apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: a}
spec:
  hosts: [r]
  http:
  - match:
    - url: {prefix: /x}
    fault:
      delay: {fixedDelay: soon, percentage: {value: 150}}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: b}
spec:
  hosts: []
  http:
  - match: [{uri: {exact: /a, prefix: /b}}, {headers: {x: {regex: "("}}}]
    route: [{destination: {host: r, port: {number: 0}}}]
---
apiVersion: networking.istio.io/v2
kind: VirtualService
metadata: {name: c}
spec: {hosts: [r]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ok}
spec:
  hosts: [r]
  http: [{fault: {abort: {httpStatus: 503, percentage: {value: 0.1}}, delay: {fixedDelay: 1m30s}}}]
`);
  assert.deepEqual(
    docs.map((d) => d.issues.map((i) => `${i.location?.line}:${i.path}`)),
    [
      [
        "8:spec.http[0].match[0].url",
        "10:spec.http[0].fault.delay.fixedDelay",
        "10:spec.http[0].fault.delay.percentage.value",
      ],
      [
        "16:spec.hosts",
        "18:spec.http[0].match[0].uri",
        "18:spec.http[0].match[1].headers.x",
        "19:spec.http[0].route[0].destination.port.number",
      ],
      ["21:apiVersion"],
      [],
    ],
  );
  assert.equal(docs[3]?.object?.kind, "VirtualService");
});

test("RequestAuthentication: strict jwtRules; jwks must be a JWKS; jwks xor jwksUri; selector xor targetRefs", () => {
  const docs = parse(`apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: a}
spec:
  selector: {matchLabels: {app: x}}
  targetRefs: [{kind: Gateway, name: w}]
  jwtRules:
  - issuer: i
    jwks: 'not json'
  - issuer: i
    jwks: '{"keys": []}'
    jwksUri: file:///k.json
  - issuer: ""
    jwksUri: ftp://x
    forwardOrignalToken: true
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: ok}
spec:
  targetRefs: [{kind: Service, name: api}]
  jwtRules: [{issuer: i, jwksUri: "file:///etc/jwks.json", fromHeaders: [{name: x-jwt, prefix: ""}], forwardOriginalToken: true}]
`);
  assert.deepEqual(
    docs.map((d) => d.issues.map((i) => `${i.location?.line}:${i.path}`)),
    [
      [
        "9:spec.jwtRules[0].jwks",
        "10:spec.jwtRules[1]",
        "13:spec.jwtRules[2].issuer",
        "14:spec.jwtRules[2].jwksUri",
        "15:spec.jwtRules[2].forwardOrignalToken",
        "5:spec",
      ],
      [],
    ],
  );
  assert.equal(docs[1]?.object?.kind, "RequestAuthentication");
});

import assert from "node:assert/strict";
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, test } from "node:test";
import type { ConfigObject } from "./config-object.js";
import type { SourceChange } from "./config-source.js";
import { createFileSource, type FileSource, FileSourceError } from "./file-source.js";

let dir: string;
let src: FileSource | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ambit-file-source-"));
});
afterEach(async () => {
  await src?.stop();
  src = undefined;
  await rm(dir, { recursive: true, force: true });
});

const pod = (name: string, ip: string, extra = "") => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: demo
spec:
  serviceAccountName: sa-${name}
  nodeName: node-a${extra}
status:
  phase: Running
  podIP: ${ip}
`;

const names = (s: FileSource) =>
  s
    .list()
    .map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)
    .sort();
const podIp = (s: FileSource, name: string) =>
  (
    s.list().find((o) => o.kind === "Pod" && o.metadata.name === name) as Extract<
      ConfigObject,
      { kind: "Pod" }
    >
  )?.status.podIP;

/** Resolves with the next change event (or rejects after `ms`). */
function nextChange(s: FileSource, ms = 3000): Promise<SourceChange> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no change event")), ms);
    const off = s.subscribe((c) => {
      clearTimeout(t);
      off();
      resolve(c);
    });
  });
}

async function started(opts: { debounceMs?: number; resyncMs?: number } = {}): Promise<FileSource> {
  src = createFileSource({ dir, debounceMs: opts.debounceMs ?? 30, resyncMs: opts.resyncMs ?? 0 });
  await src.start();
  return src;
}

test("loads multi-document files recursively, ignoring hidden and non-YAML files", async () => {
  await mkdir(join(dir, "sub"));
  await writeFile(join(dir, "a.yaml"), `${pod("a", "10.0.0.1")}---\n${pod("b", "10.0.0.2")}`);
  await writeFile(join(dir, "sub", "c.yml"), pod("c", "10.0.0.3"));
  await writeFile(join(dir, ".hidden.yaml"), pod("hidden", "10.0.0.4"));
  await writeFile(join(dir, "notes.txt"), pod("txt", "10.0.0.5"));
  const s = await started();
  assert.deepEqual(names(s), ["Pod/demo/a", "Pod/demo/b", "Pod/demo/c"]);
  assert.deepEqual(s.issues(), []);
  assert.ok(Object.isFrozen(s.list()[0]), "objects are frozen");
});

test("bad document: error names file, line and field; the last good version stays in force", async () => {
  await writeFile(join(dir, "pods.yaml"), `${pod("a", "10.0.0.1")}---\n${pod("b", "10.0.0.2")}`);
  const s = await started();
  assert.equal(podIp(s, "b"), "10.0.0.2");
  const changed = nextChange(s);
  // Second document: podIP is not an IP; line 23 of the file is its `podIP:` line.
  await writeFile(join(dir, "pods.yaml"), `${pod("a", "10.0.0.9")}---\n${pod("b", "not-an-ip")}`);
  const c = await changed;
  assert.deepEqual(c.upserted, ["Pod/demo/a"], "the good document still applies");
  assert.equal(podIp(s, "a"), "10.0.0.9");
  assert.equal(podIp(s, "b"), "10.0.0.2", "last good version of b kept");
  const [issue, ...rest] = s.issues();
  assert.equal(rest.length, 0);
  assert.ok(issue);
  assert.equal(issue.severity, "error");
  assert.equal(issue.code, "invalid_object");
  assert.equal(issue.location?.file, "pods.yaml");
  assert.equal(issue.location?.line, 23);
  assert.equal(issue.path, "status.podIP");
  assert.equal(issue.name, "b");
  assert.match(issue.message, /last good version stays in force/);

  // Fixing the document clears the error and applies the new version.
  const fixed = nextChange(s);
  await writeFile(join(dir, "pods.yaml"), `${pod("a", "10.0.0.9")}---\n${pod("b", "10.0.0.8")}`);
  await fixed;
  assert.equal(podIp(s, "b"), "10.0.0.8");
  assert.deepEqual(s.issues(), []);
});

test("a new object that is invalid from the start is not applied; unknown kinds warn", async () => {
  await writeFile(
    join(dir, "x.yaml"),
    `${pod("bad", "10.0.0.1", "\n  hostNetwork: maybe")}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n`,
  );
  const s = await started();
  assert.deepEqual(names(s), []);
  const codes = s.issues().map((i) => `${i.severity}:${i.code}:${i.location?.line}:${i.path}`);
  assert.deepEqual(codes.sort(), ["error:invalid_object:9:spec.hostNetwork", "warning:unknown_kind:15:kind"]);
});

test("YAML syntax error keeps every object the file defined before", async () => {
  await writeFile(join(dir, "p.yaml"), `${pod("a", "10.0.0.1")}---\n${pod("b", "10.0.0.2")}`);
  const s = await started();
  const changed = nextChange(s);
  await writeFile(join(dir, "p.yaml"), `${pod("a", "10.0.0.1")}---\nkind: Pod\nmetadata: {name: [\n`);
  await changed;
  assert.deepEqual(names(s), ["Pod/demo/a", "Pod/demo/b"]);
  assert.equal(s.issues()[0]?.code, "yaml_syntax");
  assert.equal(s.issues()[0]?.location?.file, "p.yaml");
});

test("deleting a document or a file removes its objects", async () => {
  await writeFile(join(dir, "a.yaml"), `${pod("a", "10.0.0.1")}---\n${pod("b", "10.0.0.2")}`);
  await writeFile(join(dir, "c.yaml"), pod("c", "10.0.0.3"));
  const s = await started();
  let changed = nextChange(s);
  await writeFile(join(dir, "a.yaml"), pod("a", "10.0.0.1"));
  assert.deepEqual((await changed).removed, ["Pod/demo/b"]);
  changed = nextChange(s);
  await unlink(join(dir, "c.yaml"));
  assert.deepEqual((await changed).removed, ["Pod/demo/c"]);
  assert.deepEqual(names(s), ["Pod/demo/a"]);
});

test("atomic rename (write temp + rename) is picked up as one change", async () => {
  await writeFile(join(dir, "a.yaml"), pod("a", "10.0.0.1"));
  const s = await started();
  const changed = nextChange(s);
  await writeFile(join(dir, ".a.yaml.tmp"), pod("a", "10.0.0.7"));
  await rename(join(dir, ".a.yaml.tmp"), join(dir, "a.yaml"));
  assert.deepEqual((await changed).upserted, ["Pod/demo/a"]);
  assert.equal(podIp(s, "a"), "10.0.0.7");
});

test("debounce: a burst of writes becomes one rescan and one change", async () => {
  const s = await started({ debounceMs: 80 });
  const before = s.scans;
  let events = 0;
  s.subscribe(() => events++);
  const changed = nextChange(s);
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => writeFile(join(dir, `p${i}.yaml`), pod(`p${i}`, `10.0.1.${i + 1}`))),
  );
  const c = await changed;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c.upserted.length, 10);
  assert.equal(events, 1);
  assert.ok(s.scans - before <= 2, `expected 1–2 rescans, got ${s.scans - before}`);
});

test("duplicates across files: first file path wins deterministically, with a warning", async () => {
  await writeFile(join(dir, "b.yaml"), pod("dup", "10.0.0.2"));
  await writeFile(join(dir, "a.yaml"), pod("dup", "10.0.0.1"));
  const s = await started();
  assert.equal(podIp(s, "dup"), "10.0.0.1");
  const [w] = s.issues();
  assert.equal(w?.code, "duplicate_object");
  assert.equal(w?.severity, "warning");
  assert.equal(w?.location?.file, "b.yaml");
  // Removing the winner promotes the other definition.
  const changed = nextChange(s);
  await unlink(join(dir, "a.yaml"));
  await changed;
  assert.equal(podIp(s, "dup"), "10.0.0.2");
  assert.deepEqual(s.issues(), []);
});

test("missing directory is rejected with a coded error", async () => {
  const s = createFileSource({ dir: join(dir, "nope"), resyncMs: 0 });
  await assert.rejects(
    s.start(),
    (e: unknown) => e instanceof FileSourceError && e.code === "not_a_directory",
  );
});

test("periodic resync catches changes without watch events", async () => {
  await writeFile(join(dir, "a.yaml"), pod("a", "10.0.0.1"));
  const s = await started({ resyncMs: 50 });
  await s.flush();
  const changed = nextChange(s);
  await writeFile(join(dir, "b.yaml"), pod("b", "10.0.0.2"));
  await changed;
  assert.deepEqual(names(s), ["Pod/demo/a", "Pod/demo/b"]);
});

test("a config directory that disappears keeps the last state in force and reports it", async () => {
  await writeFile(join(dir, "a.yaml"), pod("a", "10.0.0.1"));
  const s = await started();
  const moved = `${dir}-moved`;
  await rename(dir, moved);
  try {
    await s.flush();
    assert.deepEqual(names(s), ["Pod/demo/a"]);
    assert.equal(s.issues()[0]?.code, "read_failed");
  } finally {
    await rename(moved, dir);
  }
  await s.flush();
  assert.deepEqual(s.issues(), []);
  assert.deepEqual(names(s), ["Pod/demo/a"]);
});

test("VirtualService / RequestAuthentication: a bad edit is an error at its field; the last good version stays", async () => {
  const vs = (status: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ratings, namespace: demo}
spec:
  hosts: [ratings]
  http:
  - fault:
      abort:
        httpStatus: ${status}
        percentage: {value: 50}
`;
  const ra = (issuerKey: string) => `apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: jwt, namespace: demo}
spec:
  jwtRules:
  - ${issuerKey}: https://issuer.example
    jwks: '{"keys": []}'
`;
  await writeFile(join(dir, "l7.yaml"), `${vs("503")}---\n${ra("issuer")}`);
  const s = await started();
  assert.deepEqual(names(s), ["RequestAuthentication/demo/jwt", "VirtualService/demo/ratings"]);
  // Nothing valid changes, so there is no change event: wait for the issues instead.
  await writeFile(join(dir, "l7.yaml"), `${vs("99")}---\n${ra("isuer")}`);
  const until = Date.now() + 3000;
  while (s.issues().length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const got = s
    .issues()
    .map((i) => `${i.kind}/${i.name}:${i.location?.line}:${i.path}`)
    .sort();
  assert.deepEqual(got, [
    "RequestAuthentication/jwt:17:spec.jwtRules[0].issuer",
    "RequestAuthentication/jwt:17:spec.jwtRules[0].isuer",
    "VirtualService/ratings:9:spec.http[0].fault.abort.httpStatus",
  ]);
  const kept = s.list().find((o) => o.kind === "VirtualService");
  assert.equal(
    kept?.kind === "VirtualService" ? kept.spec.http[0]?.fault?.abort?.httpStatus : undefined,
    503,
    "last good version of the VirtualService kept",
  );
  assert.ok(
    s.list().some((o) => o.kind === "RequestAuthentication"),
    "last good RequestAuthentication kept",
  );
});

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseManifestText, statePaths, type WaypointPodStatus } from "@ambit/local";
import { useTempDirs } from "@ambit/testing";
import { runCli } from "./cli.js";
import type { Io } from "./context.js";
import { meshWaypoints } from "./waypoint.js";
import {
  mergeWaypoints,
  parseMeshWaypoints,
  waypointListTable,
  waypointRowsOutput,
  waypointStatusText,
} from "./waypoint-view.js";

/** Temp dirs removed when the file's tests end. */
const tempDir = useTempDirs();

function capture(): Io & { text: () => string; errText: () => string } {
  let out = "";
  let err = "";
  return { out: (t) => (out += t), err: (t) => (err += t), text: () => out, errText: () => err };
}

function golden(name: string, text: string): void {
  const url = new URL(`./testdata/${name}`, import.meta.url);
  if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(url, text);
  assert.equal(text, readFileSync(url, "utf8"), `golden ${name} (UPDATE_GOLDEN=1 regenerates)`);
}

/** What the control plane's GET /waypoints answers (contract §3, W2's shape). */
const MESH_JSON = JSON.stringify([
  {
    namespace: "shop",
    name: "waypoint",
    for: "service",
    address: "10.96.0.12",
    services: ["shop/reviews", "shop/web"],
    workloads: [],
    conditions: [
      { type: "Accepted", status: "True", reason: "Accepted", message: "waypoint listener on 15008/HBONE" },
      {
        type: "Programmed",
        status: "True",
        reason: "Programmed",
        message: "address 10.96.0.12, 1 running pod(s)",
      },
    ],
    droppedRules: [{ route: "shop/r1", message: "rule 2: unsupported filter" }],
  },
  {
    namespace: "team",
    name: "other",
    for: "all",
    address: null,
    services: [],
    workloads: ["team/db-1"],
    conditions: [
      { type: "Accepted", status: "True", reason: "Accepted", message: "waypoint listener on 15008/HBONE" },
      {
        type: "Programmed",
        status: "False",
        reason: "Pending",
        message: "Service team/other does not exist yet",
      },
    ],
    droppedRules: [],
  },
]);

const LOCAL: WaypointPodStatus[] = [
  {
    name: "waypoint",
    namespace: "shop",
    pod: "waypoint-waypoint",
    node: "node-2",
    ip: "10.244.2.2",
    vip: "10.96.0.12",
    netns: "ambit-x-p-shop-waypoint-waypoint",
    process: "waypoint-shop-waypoint",
    state: "running",
    pid: 4242,
    restarts: 1,
    health: "ready",
    detail: "readiness :15021: HTTP 200",
  },
  {
    name: "lonely",
    namespace: "shop",
    pod: "lonely-waypoint",
    node: "node-1",
    ip: "10.244.1.3",
    vip: "10.96.0.13",
    netns: "ambit-x-p-shop-lonely-waypoint",
    process: "waypoint-shop-lonely",
    state: "unavailable",
    restarts: 0,
    health: "down",
    detail: "@ambit/waypoint has no main yet",
  },
];

describe("ambit waypoint generate", () => {
  it("prints istioctl's waypoint Gateway; the output parses as a waypoint (golden)", async () => {
    const a = capture();
    assert.equal(await runCli(["waypoint", "generate"], a), 0);
    const b = capture();
    assert.equal(await runCli(["waypoint", "generate", "--name", "wp", "-n", "shop", "--for", "all"], b), 0);
    golden("waypoint-generate.golden.yaml", `${a.text()}---\n${b.text()}`);
    const [gw] = parseManifestText(b.text(), "/x/gw.yaml");
    assert.equal(gw?.key, "Gateway/shop/wp");
    assert.equal(gw?.obj.meta.labels["istio.io/waypoint-for"], "all");
  });

  it("bad --for, names and -o are usage errors (exit 2) naming the flag", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["waypoint", "generate", "--for", "pods"],
        /--for must be one of service, workload, all, none, not pods/,
      ],
      [["waypoint", "generate", "--name", "Bad_Name"], /--name "Bad_Name" is not a DNS label/],
      [["waypoint", "generate", "-n", "x.y"], /-n "x.y" is not a DNS label/],
      [["waypoint", "generate", "--name", "w".repeat(55)], /at most 54 characters/],
      [["--state-dir", "/nonexistent", "waypoint", "list", "-o", "xml"], /-o must be table, json or yaml/],
      [["--state-dir", "/nonexistent", "waypoint", "status", "-o", "wide"], /-o must be table, json or yaml/],
    ];
    for (const [argv, re] of cases) {
      const io = capture();
      assert.equal(await runCli(argv, io), 2, argv.join(" "));
      assert.match(io.errText(), re);
    }
    assert.equal(await runCli(["waypoint", "delete"], capture()), 2, "delete needs a name");
  });

  it("apply/list/status/delete without a running cluster say so (exit 1)", async () => {
    const dir = tempDir("ambit-wp-");
    for (const argv of [["apply"], ["list"], ["status"], ["delete", "waypoint"]]) {
      const io = capture();
      assert.equal(await runCli(["--state-dir", dir, "waypoint", ...argv], io), 1, argv.join(" "));
      assert.match(io.errText(), /no ambit cluster is running .*ambit up/);
    }
  });
});

describe("ambit waypoint list/status views", () => {
  it("merge the control plane's conditions with the local pod and process (golden tables)", () => {
    const rows = mergeWaypoints(parseMeshWaypoints(MESH_JSON), LOCAL);
    assert.deepEqual(
      rows.map((r) => `${r.namespace}/${r.name}`),
      ["shop/lonely", "shop/waypoint", "team/other"],
    );
    const text = [
      "## list",
      waypointListTable(rows),
      "## status",
      waypointStatusText(rows),
      "## list without the control plane",
      waypointListTable(mergeWaypoints(undefined, LOCAL)),
      "## status without the control plane",
      waypointStatusText(mergeWaypoints(undefined, LOCAL)),
      "## empty",
      waypointListTable([]),
      "",
    ].join("\n");
    golden("waypoint-views.golden.txt", text);
    assert.match(
      text,
      /shop +waypoint +service +10\.96\.0\.12 +True +node-2 +10\.244\.2\.2 +running \(ready\)/,
    );
    assert.match(text, /team +other +all +- +False +- +- +no pod/);
    const json = JSON.parse(waypointRowsOutput(rows, "json"));
    assert.equal(json[1].local.pid, 4242);
    assert.deepEqual(json[1].services, ["shop/reviews", "shop/web"]);
    assert.match(waypointRowsOutput(rows, "yaml"), /- namespace: shop\n {2}name: lonely/);
  });

  it("a /waypoints answer that is not a JSON list is refused", () => {
    assert.throws(() => parseMeshWaypoints("nope"), /not JSON/);
    assert.throws(() => parseMeshWaypoints("{}"), /not a list/);
    const [w] = parseMeshWaypoints(JSON.stringify([{ namespace: "a", name: "b", waypointFor: "workload" }]));
    assert.deepEqual(w, {
      namespace: "a",
      name: "b",
      for: "workload",
      address: null,
      services: [],
      workloads: [],
      conditions: [],
      droppedRules: [],
    });
  });
});

describe("the control plane's /waypoints over its status socket", () => {
  async function serve(root: string, handler: Parameters<typeof createServer>[1]): Promise<Server> {
    mkdirSync(join(root, "control-plane"), { recursive: true });
    const server = createServer(handler);
    await new Promise<void>((r) => server.listen(join(root, "control-plane", "status.sock"), r));
    return server;
  }

  it("reads the list, passes the namespace filter, and explains a 404 or a missing socket", async () => {
    const root = tempDir("ambit-wp-cp-");
    const paths = statePaths(root);
    const none = await meshWaypoints(paths);
    assert.equal(none.list, undefined);
    assert.match(none.note ?? "", /control plane status not reachable at .*status\.sock \(ENOENT\)/);
    const seen: string[] = [];
    let answer404 = false;
    const server = await serve(root, (req, res) => {
      seen.push(req.url ?? "");
      if (answer404) {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: "unknown path /waypoints" }));
      } else res.end(MESH_JSON);
    });
    try {
      const ok = await meshWaypoints(paths, "shop");
      assert.equal(ok.note, undefined);
      assert.equal(ok.list?.length, 2);
      answer404 = true;
      const old = await meshWaypoints(paths);
      assert.match(old.note ?? "", /no \/waypoints status endpoint/);
      assert.deepEqual(seen, ["/waypoints?namespace=shop", "/waypoints"]);
    } finally {
      server.close();
    }
  });
});

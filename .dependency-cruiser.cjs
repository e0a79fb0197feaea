/**
 * Architecture rules for ambit (see ARCHITECTURE.md, "Package dependency rules").
 * Layers: api ← core ← apps. sockets is a leaf. local is the runtime library the CLI drives.
 * Apps never import each other: in the real system they meet only over the wire.
 */
const APPS = "(control-plane|ztunnel|node-agent|waypoint)";
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles make init order and layering unclear.",
      from: {},
      to: { circular: true },
    },
    {
      name: "api-is-a-leaf",
      severity: "error",
      comment: "@ambit/api holds wire and domain types only; it may import nothing internal.",
      from: { path: "^packages/api/", pathNot: "(\\.test\\.ts$|/testdata/)" },
      to: { path: "^packages/(?!api/)" },
    },
    {
      name: "sockets-is-a-leaf",
      severity: "error",
      comment:
        "@ambit/sockets is the native addon wrapper; it may import nothing internal (its tests may use @ambit/testing and @ambit/api).",
      from: { path: "^packages/sockets/", pathNot: "(\\.test\\.ts$|/testdata/)" },
      to: { path: "^packages/(?!sockets/)" },
    },
    {
      name: "core-only-on-api",
      severity: "error",
      comment: "@ambit/core is shared by every app, so it may depend on api (and sockets) only.",
      from: { path: "^packages/core/", pathNot: "(\\.test\\.ts$|/testdata/)" },
      to: { path: "^packages/(?!(core|api|sockets)/)" },
    },
    {
      name: "no-app-imports-app",
      severity: "error",
      comment: "Apps meet only over the wire (xDS, HBONE, ZDS, admin HTTP).",
      from: { path: `^packages/${APPS}/` },
      to: { path: `^packages/${APPS}/`, pathNot: "^packages/$1/" },
    },
    {
      name: "apps-not-into-cli-or-local",
      severity: "error",
      comment: "Data-plane and control-plane apps never depend on the CLI or the local runtime.",
      from: { path: `^packages/${APPS}/` },
      to: { path: "^packages/(cli|local)/" },
    },
    {
      name: "local-not-into-apps",
      severity: "error",
      comment: "The local runtime starts apps as processes; it does not import them.",
      from: { path: "^packages/(local|cli)/" },
      to: { path: `^packages/${APPS}/` },
    },
    {
      name: "testing-only-from-tests",
      severity: "error",
      comment: "@ambit/testing holds fakes and harnesses; production code must not depend on it.",
      from: { path: "^packages/(?!testing/)[^/]+/src/", pathNot: "(\\.test\\.ts$|/testdata/)" },
      to: { path: "^packages/testing/" },
    },
    {
      name: "no-child-process-in-data-plane-decisions",
      severity: "error",
      comment: "Pure decision code (state, translate, rules rendering) must not exec anything.",
      from: { path: "^packages/[^/]+/src/(state|translate|rules|route)/" },
      to: { path: "^child_process$|^node:child_process$", dependencyTypes: ["core"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules|gen)/" },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["source", "import", "default"],
      extensions: [".ts", ".js", ".mjs", ".cjs"],
    },
    tsConfig: { fileName: "tsconfig.base.json" },
  },
};

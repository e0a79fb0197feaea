import { CodedError, errorMessage } from "@ambit/core";
import { assertCanRun, runDaemon } from "@ambit/local";
import { Command, InvalidArgumentError } from "commander";
import { cmdApply, cmdDelete, cmdDown, cmdExec, cmdStatus, cmdUp } from "./commands.js";
import { type Io, pathsFrom, processIo } from "./context.js";
import { runDemo } from "./demo.js";
import { cmdLogs } from "./logs.js";
import {
  cmdWaypointApply,
  cmdWaypointDelete,
  cmdWaypointGenerate,
  cmdWaypointList,
  cmdWaypointStatus,
} from "./waypoint.js";
import { WAYPOINT_FOR } from "./waypoint-view.js";
import { cmdZc, ZC_VIEWS } from "./zc.js";

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a non-negative integer");
  return n;
}

interface Globals {
  stateDir?: string;
}

/**
 * The `ambit` command line. Returns the exit code (errors print `ambit: <message>` and return 1;
 * `exec` returns the command's own code).
 */
export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = new Command("ambit")
    .description("ambit: a sidecar-less service mesh. Local mode builds a cluster out of network namespaces.")
    .option("--state-dir <dir>", "state directory (default $AMBIT_STATE_DIR or /var/lib/ambit)")
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const g = (cmd: Command): Globals => cmd.optsWithGlobals<Globals>();

  program
    .command("up")
    .description("start the local cluster (idempotent); apply manifests if given")
    .option("-f, --filename <paths...>", "manifest files or directories")
    .option("--nodes <n>", "number of nodes for a new cluster (default 2)", intArg)
    .option("--cluster-id <id>", "cluster id for a new cluster (default: random)")
    .action(async (o: { filename?: string[]; nodes?: number; clusterId?: string }, cmd: Command) => {
      await cmdUp(pathsFrom(g(cmd)), io, {
        ...(o.filename !== undefined ? { files: o.filename } : {}),
        ...(o.nodes !== undefined ? { nodes: o.nodes } : {}),
        ...(o.clusterId !== undefined ? { clusterId: o.clusterId } : {}),
      });
    });
  program
    .command("apply")
    .description("create or update objects from manifests")
    .requiredOption("-f, --filename <paths...>", "manifest files or directories")
    .action(async (o: { filename: string[] }, cmd: Command) => cmdApply(pathsFrom(g(cmd)), io, o.filename));
  program
    .command("delete")
    .description("delete the objects named in manifests")
    .requiredOption("-f, --filename <paths...>", "manifest files or directories")
    .action(async (o: { filename: string[] }, cmd: Command) => cmdDelete(pathsFrom(g(cmd)), io, o.filename));
  program
    .command("down")
    .description("remove everything the cluster created (also after a crash); idempotent")
    .action(async (_o: unknown, cmd: Command) => {
      await cmdDown(pathsFrom(g(cmd)), io);
    });
  program
    .command("status")
    .description("nodes, components and their health, pods, services")
    .option("-o, --output <format>", "text or json", "text")
    .action(async (o: { output: string }, cmd: Command) => cmdStatus(pathsFrom(g(cmd)), io, o.output));
  program
    .command("logs <name>")
    .description("show a log: control-plane, ztunnel-<node>, node-agent-<node>, runtime, or a pod name")
    .option("-f, --follow", "keep printing new lines")
    .option("-c, --container <name>", "container of the pod (default: the first)")
    .option("-n, --namespace <ns>", "namespace of the pod")
    .option("--tail <n>", "only the last n lines", intArg)
    .action(
      async (
        name: string,
        o: { follow?: boolean; container?: string; namespace?: string; tail?: number },
        cmd: Command,
      ) => {
        const ac = new AbortController();
        process.once("SIGINT", () => ac.abort());
        await cmdLogs(pathsFrom(g(cmd)), io, name, { ...o, signal: ac.signal });
      },
    );
  program
    .command("exec <pod> [command...]")
    .description(
      "run a command inside a pod's network namespace: ambit exec sleep -- curl -s http://productpage:9080/",
    )
    .option("-n, --namespace <ns>", "namespace of the pod")
    .passThroughOptions()
    .action(async (pod: string, command: string[], o: { namespace?: string }, cmd: Command) => {
      code = await cmdExec(
        pathsFrom(g(cmd)),
        pod,
        command[0] === "--" ? command.slice(1) : command,
        o.namespace !== undefined ? { namespace: o.namespace } : {},
      );
    });
  program
    .command("zc <view>")
    .description(`ztunnel config (istioctl ztunnel-config): ${ZC_VIEWS.join("|")}`)
    .option("--node <node>", "only this node's ztunnel")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .action(async (view: string, o: { node?: string; output: string }, cmd: Command) => {
      assertCanRun();
      await cmdZc(pathsFrom(g(cmd)), io, view, {
        output: o.output,
        ...(o.node !== undefined ? { node: o.node } : {}),
      });
    });
  const waypoint = program
    .command("waypoint")
    .description("waypoints (L7 proxies of a namespace): generate|apply|list|status|delete");
  const gwFlags = (c: Command): Command =>
    c
      .option("--name <name>", "waypoint (Gateway) name", "waypoint")
      .option("-n, --namespace <ns>", "namespace", "default")
      .option("--for <traffic>", `traffic the waypoint takes: ${WAYPOINT_FOR.join("|")}`, "service");
  interface GwOpts {
    name: string;
    namespace: string;
    for: string;
  }
  gwFlags(waypoint.command("generate").description("print the waypoint Gateway YAML")).action((o: GwOpts) =>
    cmdWaypointGenerate(io, o),
  );
  gwFlags(waypoint.command("apply").description("apply a waypoint Gateway (pod, Service and process follow)"))
    .option("--enroll-namespace", "label the namespace istio.io/use-waypoint=<name>")
    .option("--wait", "wait until the control plane reports the waypoint Programmed (30 s)")
    .action(async (o: GwOpts & { enrollNamespace?: boolean; wait?: boolean }, cmd: Command) =>
      cmdWaypointApply(pathsFrom(g(cmd)), io, o),
    );
  waypoint
    .command("list")
    .description("waypoints with address, Programmed, node, pod IP and process")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-A, --all-namespaces", "every namespace")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .action(async (o: { namespace: string; allNamespaces?: boolean; output: string }, cmd: Command) =>
      cmdWaypointList(pathsFrom(g(cmd)), io, o),
    );
  waypoint
    .command("status")
    .description("conditions from the control plane, pod and process per waypoint")
    .option("--name <name>", "only this waypoint")
    .option("-n, --namespace <ns>", "namespace", "default")
    .option("-o, --output <format>", "table, json or yaml", "table")
    .action(async (o: { name?: string; namespace: string; output: string }, cmd: Command) =>
      cmdWaypointStatus(pathsFrom(g(cmd)), io, o),
    );
  waypoint
    .command("delete <names...>")
    .description("delete waypoints (their pod, Service and process go with them)")
    .option("-n, --namespace <ns>", "namespace", "default")
    .action(async (names: string[], o: { namespace: string }, cmd: Command) =>
      cmdWaypointDelete(pathsFrom(g(cmd)), io, names, o.namespace),
    );
  program
    .command("demo")
    .description("bring the mesh up, deploy bookinfo, send traffic and print proof")
    .option("--nodes <n>", "number of nodes", intArg, 2)
    .option("--samples <dir>", "bookinfo sample directory")
    .action(async (o: { nodes: number; samples?: string }, cmd: Command) =>
      runDemo(pathsFrom(g(cmd)), io, {
        nodes: o.nodes,
        ...(o.samples !== undefined ? { samplesDir: o.samples } : {}),
      }),
    );
  program
    .command("daemon", { hidden: true })
    .description("run the local-mode daemon in the foreground (ambit up starts it)")
    .option("--nodes <n>", "node count of a new cluster", intArg)
    .option("--cluster-id <id>", "id of a new cluster")
    .action(async (o: { nodes?: number; clusterId?: string }, cmd: Command) => {
      await runDaemon({
        stateDir: pathsFrom(g(cmd)).root,
        ...(o.nodes !== undefined ? { nodes: o.nodes } : {}),
        ...(o.clusterId !== undefined ? { clusterId: o.clusterId } : {}),
      });
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === "string" && c.startsWith("commander.")) {
      return c === "commander.helpDisplayed" || c === "commander.version" || c === "commander.help" ? 0 : 2;
    }
    io.err(`ambit: ${errorMessage(e)}\n`);
    return e instanceof CodedError && e.code === "invalid_argument" ? 2 : 1;
  }
  return code;
}

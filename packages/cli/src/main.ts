/** Process entry of the `ambit` command (bin/ambit.js imports the built copy). */
import { runCli } from "./cli.js";

process.exitCode = await runCli(process.argv.slice(2));

// The `callsight` command.

import { parseArgs } from "node:util";
import { type CliIo, processIo } from "./io.js";
import { replayCommand } from "./replay-command.js";

const USAGE = `usage:
  callsight demo                                   start the AMI simulator and Callsight on it
  callsight serve [--config callsight.yaml] [--listen 127.0.0.1:8080] [--redis redis://127.0.0.1:6379]
  callsight token issue <user> [--label text] [--expires 8h]   issue a bearer token for a user
  callsight token list [--user id] [--json]        list tokens (never the secret)
  callsight token revoke <id> | --user <id>        revoke a token, or all of a user's
  callsight worker [--config callsight.yaml] [--redis url] [--outbox file]   process recordings
  callsight replay <trace> --format ami|events [--config callsight.yaml] [--pbx id] [--json]`;

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "replay": {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          format: { type: "string" },
          config: { type: "string" },
          pbx: { type: "string" },
          json: { type: "boolean", default: false },
        },
      });
      const trace = positionals[0];
      if (!trace || !values.format) {
        io.err(USAGE);
        return 2;
      }
      return replayCommand(
        {
          trace,
          format: values.format,
          json: values.json ?? false,
          ...(values.config ? { config: values.config } : {}),
          ...(values.pbx ? { pbx: values.pbx } : {}),
        },
        io,
      );
    }
    case "serve": {
      const { serveCommand } = await import("./serve-command.js");
      return serveCommand(rest, io);
    }
    case "worker": {
      const { workerCommand } = await import("./worker-command.js");
      return workerCommand(rest, io);
    }
    case "token": {
      const { tokenCommand } = await import("./token-command.js");
      return tokenCommand(rest, io);
    }
    case "demo": {
      // The demo lives with the simulators, outside the product: an installation built without them
      // (the Docker image's default target) says so instead of failing on a missing module.
      let demo: typeof import("../../simulators/demo.js");
      try {
        demo = await import("../../simulators/demo.js");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
        io.err(
          "callsight: this installation has no demo (the simulators are not installed); " +
            "run it from a source checkout (npm run demo) or build the image with --target demo",
        );
        return 2;
      }
      return demo.demoCommand(rest, io);
    }
    case undefined:
    case "help":
    case "--help":
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      io.err(`callsight: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

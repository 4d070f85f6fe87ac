// `callsight serve` in a process of its own, run as bin/callsight.js runs it: main() sets the exit code
// and the process ends only once nothing is left running, so a connection or timer left behind by a
// stop keeps it alive after SIGTERM, as it would in production. Run with vite-node; settings come from
// the environment (CALLSIGHT_CONFIG, CALLSIGHT_LISTEN, REDIS_URL, CALLSIGHT_PBX_MAIN_PORT, …).

import { main } from "../../../src/cli/main.js";

main(["serve"]).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);

// The directories the compose files mount are valid configurations (with the secret from docker/.env).

import { readFileSync } from "node:fs";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { driversFor } from "../../src/runtime/drivers.js";

describe("compose configurations", () => {
  it.each([
    ["docker/callsight.yaml", "ami"],
    ["docker/freeswitch/callsight.yaml", "esl"],
  ])("%s loads and builds its %s driver", (file, driver) => {
    const config = parseConfig(readFileSync(file, "utf8"), file, {
      CALLSIGHT_PBX_MAIN_USERNAME: "callsight",
      CALLSIGHT_PBX_MAIN_SECRET: "from-env",
    });
    expect(config.pbx[0]).toMatchObject({ driver, secret: "from-env" });
    const drivers = driversFor(config, pino({ level: "silent" }));
    expect(drivers.map((d) => d.status().driver)).toHaveLength(1);
    expect(config.directory.users.size).toBe(7);
  });

  it("the env example names every variable the compose files need", () => {
    const example = readFileSync("docker/.env.example", "utf8");
    for (const v of [
      "CALLSIGHT_PBX_MAIN_SECRET",
      "CALLSIGHT_PBX_MAIN_USERNAME",
      "CALLSIGHT_PORT",
      "SIP_PORT",
    ]) {
      expect(example).toContain(`${v}=`);
    }
  });
});

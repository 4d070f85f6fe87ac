// One driver per configured PBX connection.

import type { Logger } from "pino";
import { type CallsightConfig, ConfigError, endpointRulesFor } from "../config/load.js";
import { AsteriskAmiDriver } from "../pbx/asterisk-ami/driver.js";
import type { PbxDriver } from "../pbx/driver.js";
import { EndpointClassifier } from "../pbx/endpoints.js";

export function driversFor(config: CallsightConfig, logger: Logger): PbxDriver[] {
  const problems: string[] = [];
  const drivers: PbxDriver[] = [];
  config.pbx.forEach((pbx, i) => {
    if (pbx.driver !== "ami") {
      problems.push(
        `pbx[${i}].driver: "${pbx.driver}" is not available in this version of Callsight (available: ami)`,
      );
      return;
    }
    drivers.push(
      new AsteriskAmiDriver({
        pbx: pbx.id,
        host: pbx.host,
        port: pbx.port,
        username: pbx.username ?? "",
        secret: pbx.secret ?? "",
        classifier: new EndpointClassifier(endpointRulesFor(config, pbx.id)),
        logger: logger.child({ pbx: pbx.id, driver: "ami" }),
      }),
    );
  });
  if (problems.length > 0) throw new ConfigError(config.file, problems);
  return drivers;
}

// One driver per configured PBX connection.

import type { Logger } from "pino";
import {
  type CallsightConfig,
  ConfigError,
  endpointRulesFor,
  type PbxConnectionConfig,
} from "../config/load.js";
import { AsteriskAmiDriver } from "../pbx/asterisk-ami/driver.js";
import { createAriDriver } from "../pbx/asterisk-ari/driver.js";
import type { PbxDriver } from "../pbx/driver.js";
import { EndpointClassifier } from "../pbx/endpoints.js";
import { FreeswitchEslDriver } from "../pbx/freeswitch-esl/driver.js";

export function driversFor(config: CallsightConfig, logger: Logger): PbxDriver[] {
  const problems: string[] = [];
  const drivers: PbxDriver[] = [];
  config.pbx.forEach((pbx, i) => {
    const driver = driverFor(config, pbx, logger.child({ pbx: pbx.id, driver: pbx.driver }));
    if (driver) drivers.push(driver);
    else {
      problems.push(
        `pbx[${i}].driver: "${pbx.driver}" is not available in this version of Callsight (available: ami, ari, esl)`,
      );
    }
  });
  if (problems.length > 0) throw new ConfigError(config.file, problems);
  return drivers;
}

function driverFor(config: CallsightConfig, pbx: PbxConnectionConfig, logger: Logger): PbxDriver | undefined {
  const classifier = new EndpointClassifier(endpointRulesFor(config, pbx.id));
  switch (pbx.driver) {
    case "ami":
      return new AsteriskAmiDriver({
        pbx: pbx.id,
        host: pbx.host,
        port: pbx.port,
        username: pbx.username ?? "",
        secret: pbx.secret ?? "",
        classifier,
        logger,
      });
    case "ari":
      return createAriDriver(pbx, classifier, logger);
    case "esl":
      return new FreeswitchEslDriver({
        pbx: pbx.id,
        host: pbx.host,
        port: pbx.port,
        secret: pbx.secret ?? "",
        classifier,
        recordingDir: config.recording.directory,
        ...(pbx.domain !== undefined && { domain: pbx.domain }),
        logger,
      });
    default:
      return undefined;
  }
}

// One driver per configured PBX connection, built by its driver's descriptor (src/pbx/drivers.ts).

import type { Logger } from "pino";
import { type CallsightConfig, ConfigError, endpointRulesFor } from "../config/load.js";
import type { PbxDriver } from "../pbx/driver.js";
import { DRIVER_IDS, driverDescriptor } from "../pbx/drivers.js";
import { EndpointClassifier } from "../pbx/endpoints.js";

export function driversFor(config: CallsightConfig, logger: Logger): PbxDriver[] {
  const problems: string[] = [];
  const drivers: PbxDriver[] = [];
  config.pbx.forEach((pbx, i) => {
    const descriptor = driverDescriptor(pbx.driver);
    if (descriptor) {
      drivers.push(
        descriptor.create(pbx, {
          classifier: new EndpointClassifier(endpointRulesFor(config, pbx.id)),
          logger: logger.child({ pbx: pbx.id, driver: pbx.driver }),
          recordingDirectory: config.recording.directory,
        }),
      );
    } else {
      problems.push(
        `pbx[${i}].driver: "${pbx.driver}" is not available in this version of Callsight (available: ${DRIVER_IDS.join(", ")})`,
      );
    }
  });
  if (problems.length > 0) throw new ConfigError(config.file, problems);
  return drivers;
}

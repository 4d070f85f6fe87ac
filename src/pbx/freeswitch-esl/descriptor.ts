// `driver: esl`: FreeSWITCH through the Event Socket (ESL, inbound mode, TCP port 8021).

import { z } from "zod";
import type { PbxDriverDescriptor } from "../driver-descriptor.js";
import { FreeswitchEslDriver } from "./driver.js";
import { readEslTrace } from "./trace.js";

/** The FreeSWITCH directory domain for `user/<ext>@<domain>` dial strings (a host name or an address). */
export const ESL_DOMAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ESL_DOMAIN_TEXT = 'a directory domain of letters, digits, ".", "_" and "-"';

const eslShape = {
  /**
   * The FreeSWITCH directory domain of the users Callsight dials (`user/<ext>@<domain>` for
   * listen / whisper / barge, pickup and parked pickup). Default: none, i.e. FreeSWITCH's default domain.
   */
  domain: z.string().regex(ESL_DOMAIN, ESL_DOMAIN_TEXT).optional(),
};

export interface EslSettings {
  /** The directory domain for `user/<ext>@<domain>` dial strings (default: FreeSWITCH's default domain). */
  domain?: string;
}

export const eslDriver: PbxDriverDescriptor<"esl", typeof eslShape, EslSettings> = {
  id: "esl",
  pbxKind: "freeswitch",
  defaultPort: 8021,
  defaultRecordingDirectory: "/var/lib/freeswitch/recordings",
  credentials: ["secret"],
  config: {
    shape: eslShape,
    // FreeSWITCH's queue agents and their tiers are FusionPBX's: a login sets an existing agent's status.
    check: (entry, ctx) =>
      entry.queueMember === undefined
        ? []
        : [
            ctx.problem(
              ["queueMember"],
              "only for Asterisk (FreeSWITCH logs in the agents FusionPBX set up)",
            ),
          ],
    settings: (f) => ({ ...(f.domain !== undefined && { domain: f.domain }) }),
  },
  create: (pbx, { classifier, logger, recordingDirectory }) =>
    new FreeswitchEslDriver({
      pbx: pbx.id,
      host: pbx.host,
      port: pbx.port,
      secret: pbx.secret ?? "",
      classifier,
      recordingDir: recordingDirectory,
      ...(pbx.domain !== undefined && { domain: pbx.domain }),
      logger,
    }),
  readTrace: (bytes, options) => readEslTrace(bytes, options),
};

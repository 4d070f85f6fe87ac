// `driver: ami`: Asterisk through the Manager Interface (AMI, TCP port 5038).

import type { PbxDriverDescriptor } from "../driver-descriptor.js";
import { AsteriskAmiDriver } from "./driver.js";
import { readAmiTrace } from "./trace.js";

/** AMI has no keys of its own in a `pbx` entry. */
type None = Record<never, never>;

export const amiDriver: PbxDriverDescriptor<"ami", None, None> = {
  id: "ami",
  pbxKind: "asterisk",
  defaultPort: 5038,
  // MixMonitor's directory.
  defaultRecordingDirectory: "/var/spool/asterisk/monitor",
  credentials: ["username", "secret"],
  create: (pbx, { classifier, logger }) =>
    new AsteriskAmiDriver({
      pbx: pbx.id,
      host: pbx.host,
      port: pbx.port,
      username: pbx.username ?? "",
      secret: pbx.secret ?? "",
      ...(pbx.queueMember && { queueMember: pbx.queueMember }),
      classifier,
      logger,
    }),
  readTrace: (bytes, options) => {
    const r = readAmiTrace(bytes, options.pbx, options.classifier);
    return {
      events: r.events,
      problems: r.malformed.map((m) => `${m.reason}: ${JSON.stringify(m.sample)}`),
      unknown: r.counters.unknown,
    };
  },
};

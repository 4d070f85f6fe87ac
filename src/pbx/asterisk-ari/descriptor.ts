// `driver: ari`: Asterisk through the REST Interface (ARI, HTTP and WebSocket on port 8088), with an
// optional AMI companion link on the same host for what ARI lacks.

import type { Logger } from "pino";
import { z } from "zod";
import type { PbxConnectionConfig } from "../../config/load.js";
import { amiDriver } from "../asterisk-ami/descriptor.js";
import type { ConfigCheckContext, PbxDriverDescriptor } from "../driver-descriptor.js";
import type { EndpointClassifier } from "../endpoints.js";
import { AsteriskAriDriver } from "./driver.js";
import { readAriTrace } from "./trace.js";

export const ARI_APP = /^[A-Za-z0-9._-]+$/;
export const ARI_APP_TEXT = 'a Stasis application name of letters, digits, ".", "_" and "-"';

const nonEmpty = z.string().min(1);

/** The optional AMI link of an ARI pbx (same host); username and secret may come from the environment. */
export const companionShape = {
  port: z.number().int().min(1).max(65535).optional(),
  username: nonEmpty.optional(),
  secret: nonEmpty.optional(),
};

const ariShape = {
  /** The Stasis application Callsight registers (default `callsight`). */
  app: z.string().regex(ARI_APP, ARI_APP_TEXT).optional(),
  /** An AMI link for what ARI lacks (parking, presence, MixMonitor, ChanSpy, Redirect, DBPut). */
  companion: z.strictObject(companionShape).optional(),
};

export interface AriSettings {
  /** The Stasis application name (default `callsight`). */
  app: string;
  /** The optional AMI companion link on the same host (port default 5038). */
  companion?: { port: number; username: string; secret: string };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A companion needs credentials, from the file or the environment. */
function checkCompanion(entry: Readonly<Record<string, unknown>>, ctx: ConfigCheckContext): string[] {
  const companion = entry.companion;
  if (!isRecord(companion)) return [];
  return (["username", "secret"] as const)
    .filter((key) => companion[key] === undefined)
    .map((key) =>
      ctx.problem(
        ["companion", key],
        `missing (the AMI companion needs a ${key})${ctx.orSet(key, "companion")}`,
      ),
    );
}

export const ariDriver: PbxDriverDescriptor<"ari", typeof ariShape, AriSettings> = {
  id: "ari",
  pbxKind: "asterisk",
  defaultPort: 8088,
  // ARI's recordings resource writes into Asterisk's recording directory, not MixMonitor's.
  defaultRecordingDirectory: "/var/spool/asterisk/recording",
  credentials: ["username", "secret"],
  config: {
    shape: ariShape,
    env: { fields: ["app"], groups: { companion: ["port", "username", "secret"] } },
    check: checkCompanion,
    settings: (f) => ({
      app: f.app ?? "callsight",
      ...(f.companion !== undefined && {
        companion: {
          port: f.companion.port ?? amiDriver.defaultPort,
          username: f.companion.username ?? "",
          secret: f.companion.secret ?? "",
        },
      }),
    }),
  },
  create: (pbx, { classifier, logger }) => createAriDriver(pbx, classifier, logger),
  readTrace: (bytes, options) => readAriTrace(bytes, options),
};

/** Builds the ARI driver of a configured PBX (`driver: ari`). */
export function createAriDriver(
  pbx: PbxConnectionConfig,
  classifier: EndpointClassifier,
  logger: Logger,
): AsteriskAriDriver {
  return new AsteriskAriDriver({
    pbx: pbx.id,
    host: pbx.host,
    port: pbx.port,
    username: pbx.username ?? "",
    secret: pbx.secret ?? "",
    app: pbx.app ?? "callsight",
    classifier,
    ...(pbx.companion
      ? {
          companion: {
            host: pbx.host,
            port: pbx.companion.port,
            username: pbx.companion.username,
            secret: pbx.companion.secret,
            ...(pbx.queueMember ? { queueMember: pbx.queueMember } : {}),
          },
        }
      : {}),
    logger,
  });
}

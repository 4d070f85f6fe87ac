// Where click-to-call dials on a PBX and what that PBX calls an extension, from its `pbx` entry:
// `dialContext` (default by the PBX's kind) and `extensionPattern` (default 2 to 6 digits).

import type { PbxConnectionConfig } from "../../config/load.js";
import type { DialRules } from "../../domain/dial-right.js";
import { DEFAULT_DIAL_CONTEXT } from "../../pbx/dial-request.js";
import { driverDescriptor } from "../../pbx/drivers.js";
import { DEFAULT_EXTENSION_PATTERN } from "../../pbx/endpoints.js";

export function dialSettingsOf(pbx: PbxConnectionConfig | undefined): DialRules & { context: string } {
  const pattern =
    pbx?.extensionPattern !== undefined ? new RegExp(pbx.extensionPattern) : DEFAULT_EXTENSION_PATTERN;
  const kind = (pbx && driverDescriptor(pbx.driver)?.pbxKind) ?? "asterisk";
  return {
    context: pbx?.dialContext ?? DEFAULT_DIAL_CONTEXT[kind],
    isExtension: (number) => pattern.test(number),
  };
}

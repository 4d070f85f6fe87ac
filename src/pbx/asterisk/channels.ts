// Asterisk channel names, as both AMI and ARI show them: `<tech>/<resource>-<sequence>`.

/** Channel technologies that are PBX plumbing, never a party of a call. */
export const PLUMBING: ReadonlySet<string> = new Set([
  "Local",
  "Snoop",
  "Announcer",
  "CBAnn",
  "CBRec",
  "Recorder",
  "Multicast",
  "Message",
]);

/** `PJSIP/1001-00000051` -> endpoint `PJSIP/1001`, resource `1001`. */
export function splitChannelName(name: string): { tech: string; endpoint: string; resource: string } {
  const slash = name.indexOf("/");
  const tech = slash < 0 ? name : name.slice(0, slash);
  const dash = name.lastIndexOf("-");
  const endpoint = dash > slash ? name.slice(0, dash) : name;
  return { tech, endpoint, resource: endpoint.slice(slash + 1) };
}

/** A channel or device name of a party (`PJSIP/1001…`): a technology that is not plumbing. */
export function isPartyChannel(name: string): boolean {
  const slash = name.indexOf("/");
  return slash > 0 && !PLUMBING.has(name.slice(0, slash));
}

/** `Snoop/1795373507.102-00000003` -> `1795373507.102` (the snooped channel's id). */
export function snoopTarget(channelName: string): string | undefined {
  if (!channelName.startsWith("Snoop/")) return undefined;
  const rest = channelName.slice("Snoop/".length);
  const dash = rest.lastIndexOf("-");
  return dash > 0 ? rest.slice(0, dash) : undefined;
}

/** Caller id fields say `<unknown>` when there is none. */
export function unknownToEmpty(v: string): string {
  return v === "<unknown>" ? "" : v;
}

// Who a FreeSWITCH leg is: channel names, the `Caller-*` / `Other-Leg-*` blocks of an event, internal
// phone or outside party.

import type { LegEndpoint } from "../../domain/events.js";
import type { EndpointClassifier } from "../endpoints.js";
import { type EslEvent, hdr } from "./frame-parser.js";

/** Channel technologies that are FreeSWITCH plumbing, never a party of a call. */
export const PLUMBING: ReadonlySet<string> = new Set(["loopback", "error", "null"]);

/** What a channel says about itself (one event's `Caller-*` block, its `Other-Leg-*` block, or a `show channels` row). */
export interface ChannelFacts {
  uuid: string;
  channel: string;
  direction: string;
  cidNum?: string;
  cidName?: string;
  dest?: string;
  calleeNum?: string;
  callUuid?: string;
  gateway?: string;
  profile?: string;
  dialedUser?: string;
  otherType?: string;
  otherUuid?: string;
  /** On a mod_callcenter agent's leg: the waiting caller's channel it was originated for. */
  queueMember?: string;
}

export interface IdentityRules {
  classifier: EndpointClassifier;
  /** Sofia profiles whose legs are the outside world (carriers). */
  externalProfiles: ReadonlySet<string>;
}

/** `sofia/internal/1001@127.0.0.1:5101`, `sofia/internal/sip:1004@10.0.0.5:5060`, `sofia/gateway/carrier/1777…` */
export function parseChannelName(name: string): {
  tech: string;
  profile?: string;
  gateway?: string;
  user: string;
} {
  const parts = name.split("/");
  const tech = parts[0] ?? "";
  let profile: string | undefined;
  let gateway: string | undefined;
  let rest: string;
  if (tech === "sofia" && parts[1] === "gateway" && parts.length >= 4) {
    gateway = parts[2];
    rest = parts.slice(3).join("/");
  } else if (tech === "sofia" && parts.length >= 3) {
    profile = parts[1];
    rest = parts.slice(2).join("/");
  } else {
    rest = parts.slice(1).join("/");
  }
  if (rest.startsWith("sip:")) rest = rest.slice(4);
  else if (rest.startsWith("sips:")) rest = rest.slice(5);
  const at = rest.indexOf("@");
  let user = at < 0 ? rest : rest.slice(0, at);
  const semi = user.indexOf(";");
  if (semi >= 0) user = user.slice(0, semi);
  const out: { tech: string; profile?: string; gateway?: string; user: string } = { tech, user };
  if (profile !== undefined) out.profile = profile;
  if (gateway !== undefined) out.gateway = gateway;
  return out;
}

export interface LegIdentity extends LegEndpoint {
  channel: string;
  outgoing: boolean;
  dialled?: string;
}

/** Who a leg is: an internal phone (`sofia/<profile>/<ext>`) or the outside party behind a gateway/external profile. */
export function legIdentity(f: ChannelFacts, rules: IdentityRules): LegIdentity | undefined {
  if (!f.channel) return undefined;
  const p = parseChannelName(f.channel);
  if (PLUMBING.has(p.tech) || p.tech === "") return undefined;
  const outgoing = f.direction === "outbound";
  const profile = f.profile ?? p.profile;
  const gateway = f.gateway || p.gateway;
  const user = outgoing && f.dialedUser ? f.dialedUser : p.user;
  const internalEndpoint =
    p.tech === "sofia" ? `sofia/${profile ?? "internal"}/${user}` : `${p.tech}/${user}`;
  const external =
    gateway !== undefined ||
    (profile !== undefined && rules.externalProfiles.has(profile)) ||
    rules.classifier.side(internalEndpoint, user) === "external";
  let endpoint = internalEndpoint;
  let number = user;
  if (external) {
    endpoint = gateway
      ? `sofia/gateway/${gateway}`
      : p.tech === "sofia"
        ? `sofia/${profile}`
        : internalEndpoint;
    number = outgoing ? f.dest || f.calleeNum || user : f.cidNum || user;
  }
  const id: LegIdentity = {
    endpoint,
    side: external ? "external" : "internal",
    number,
    channel: f.channel,
    outgoing,
  };
  // The caller-id name of a leg FreeSWITCH created is the *caller's* name: only an incoming leg names its party.
  const name = f.cidName;
  if (!outgoing && name && name !== number && name !== "unknown" && name !== "Outbound Call") id.name = name;
  if (!outgoing && f.dest) id.dialled = f.dest;
  return id;
}

export function factsOf(e: EslEvent, other = false): ChannelFacts {
  if (other) {
    const f: ChannelFacts = {
      uuid: hdr(e, "Other-Leg-Unique-ID") ?? "",
      channel: hdr(e, "Other-Leg-Channel-Name") ?? "",
      direction: hdr(e, "Other-Leg-Direction") ?? "",
    };
    setIf(f, "cidNum", hdr(e, "Other-Leg-Caller-ID-Number"));
    setIf(f, "cidName", hdr(e, "Other-Leg-Caller-ID-Name"));
    setIf(f, "dest", hdr(e, "Other-Leg-Destination-Number"));
    setIf(f, "calleeNum", hdr(e, "Other-Leg-Callee-ID-Number"));
    return f;
  }
  const f: ChannelFacts = {
    uuid: hdr(e, "Unique-ID") ?? "",
    channel: hdr(e, "Channel-Name") ?? "",
    direction: hdr(e, "Call-Direction") ?? "",
  };
  setIf(f, "cidNum", hdr(e, "Caller-Caller-ID-Number"));
  setIf(f, "cidName", hdr(e, "Caller-Caller-ID-Name"));
  setIf(f, "dest", hdr(e, "Caller-Destination-Number"));
  setIf(f, "calleeNum", hdr(e, "Caller-Callee-ID-Number"));
  setIf(f, "callUuid", hdr(e, "Channel-Call-UUID"));
  setIf(f, "gateway", hdr(e, "variable_sip_gateway_name"));
  setIf(f, "profile", hdr(e, "variable_sofia_profile_name"));
  setIf(f, "dialedUser", hdr(e, "variable_dialed_user"));
  setIf(f, "otherType", hdr(e, "Other-Type"));
  setIf(f, "otherUuid", hdr(e, "Other-Leg-Unique-ID"));
  if (hdr(e, "variable_cc_side") === "agent")
    setIf(f, "queueMember", hdr(e, "variable_cc_member_session_uuid"));
  return f;
}

function setIf<K extends keyof ChannelFacts>(f: ChannelFacts, key: K, v: ChannelFacts[K] | undefined): void {
  if (v !== undefined && v !== "") f[key] = v;
}

/** One id for a bridge of two legs, whichever leg FreeSWITCH calls A. */
export function bridgeId(a: string, b: string): string {
  return a < b ? `${a}+${b}` : `${b}+${a}`;
}

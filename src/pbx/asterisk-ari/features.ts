// What Callsight can see and do on Asterisk through AMI, through ARI alone, and through ARI with an
// AMI companion link. The README table is generated from this list (`featureTable()`), and an ARI
// PBX without a companion logs the features it loses at start-up (`degradedFeatures()`).

export interface FeatureSupport {
  feature: string;
  ami: string;
  ari: string;
  ariWithCompanion: string;
  /** Whether ARI alone gives the feature in full. */
  ariComplete: boolean;
}

export const FEATURES: readonly FeatureSupport[] = [
  {
    feature: "Calls: dialling, ringing, answer, bridges, hang-up, direction",
    ami: "yes",
    ari: "yes (Dial, ChannelStateChange, ChannelEnteredBridge, ChannelDestroyed)",
    ariWithCompanion: "yes (ARI)",
    ariComplete: true,
  },
  {
    feature: "Hold / unhold",
    ami: "yes",
    ari: "yes (ChannelHold / ChannelUnhold)",
    ariWithCompanion: "yes (ARI)",
    ariComplete: true,
  },
  {
    feature: "Blind and attended transfers, directed pickup by a phone, IVR jumps",
    ami: "yes",
    ari: "yes (BridgeBlindTransfer, BridgeAttendedTransfer, Dial ANSWER by the picker)",
    ariWithCompanion: "yes (ARI)",
    ariComplete: true,
  },
  {
    feature: "Registration / reachability of phones",
    ami: "yes (PeerStatus, DeviceStateChange)",
    ari: "yes (PeerStatusChange, ContactStatusChange, DeviceStateChanged, /endpoints)",
    ariWithCompanion: "yes (ARI)",
    ariComplete: true,
  },
  {
    feature: "DND lamp (`Custom:DND<ext>` device state)",
    ami: "yes",
    ari: "yes (DeviceStateChanged; resync: GET /deviceStates/Custom:DND<ext>)",
    ariWithCompanion: "yes (ARI)",
    ariComplete: true,
  },
  {
    feature: "Presence state (`CustomPresence:<ext>`: away, dnd, …)",
    ami: "yes",
    ari: "no: ARI has no presence events",
    ariWithCompanion: "yes (companion PresenceStateChange / PresenceStateList)",
    ariComplete: false,
  },
  {
    feature: "Parked calls (lot, space, parker, retriever)",
    ami: "yes",
    ari: "partial: inferred from the parking lot's holding bridge and `park:<space>@…` device state; no parker; space unknown after a reconnect",
    ariWithCompanion: "yes (companion ParkedCall / UnParkedCall / ParkedCalls)",
    ariComplete: false,
  },
  {
    feature: "ChanSpy sessions started outside Callsight (feature codes)",
    ami: "yes",
    ari: "partial: only seen at a resync (GET /channels shows the ChanSpy application); live, the spy is a call of its own",
    ariWithCompanion: "yes (companion ChanSpyStart / ChanSpyStop)",
    ariComplete: false,
  },
  {
    feature: "MixMonitor recordings started outside Callsight (dialplan policy)",
    ami: "yes",
    ari: "partial: the start is seen (MIXMONITOR_FILENAME); the stop is not (ends with the leg)",
    ariWithCompanion: "yes (companion MixMonitorStart / MixMonitorStop)",
    ariComplete: false,
  },
  {
    feature: "Listen / whisper / barge by Callsight",
    ami: "yes (ChanSpy q / qw / qB)",
    ari: "yes (snoop spy=both, whisper=none / out / both, mixing bridge with the supervisor)",
    ariWithCompanion: "yes (ARI snoop)",
    ariComplete: true,
  },
  {
    feature: "Pickup of a ringing call / of a parked call by Callsight",
    ami: "yes (Originate PickupChan / ParkedCall)",
    ari: "yes (originate into `callsight-ari` dialplan: PickupChan / ParkedCall)",
    ariWithCompanion: "yes (ARI)",
    ariComplete: true,
  },
  {
    feature: "On-demand recording by Callsight",
    ami: "yes (MixMonitor)",
    ari: "yes (snoop + POST /channels/{snoop}/record; stop a dialplan MixMonitor: no)",
    ariWithCompanion: "yes (ARI; StopMixMonitor via the companion)",
    ariComplete: false,
  },
  {
    feature: "Send a call to the IVR",
    ami: "yes (Redirect)",
    ari: "no: `continue` only works on channels in Callsight's Stasis app (409 otherwise)",
    ariWithCompanion: "yes (companion Redirect)",
    ariComplete: false,
  },
  {
    feature: "Recording policy enforced by the PBX (AstDB for the dialplan)",
    ami: "yes (DBPut)",
    ari: "no: ARI has no AstDB resource",
    ariWithCompanion: "yes (companion DBPut)",
    ariComplete: false,
  },
  {
    feature: "A user's status set by Callsight (available / away / DND, a note)",
    ami: "yes (Setvar PRESENCE_STATE / DEVICE_STATE)",
    ari: "partial: set with POST /asterisk/variable (PRESENCE_STATE / DEVICE_STATE); only the DND lamp comes back to the board, not away or the note",
    ariWithCompanion: "yes (ARI sets; the companion reports the presence state)",
    ariComplete: false,
  },
];

/** What an ARI PBX without an AMI companion cannot do, one line each (for the start-up log). */
export function degradedFeatures(withCompanion: boolean): string[] {
  if (withCompanion) return [];
  return FEATURES.filter((f) => !f.ariComplete).map((f) => `${f.feature}: ${f.ari}`);
}

/** The feature table as Markdown (README). */
export function featureTable(): string {
  const rows = FEATURES.map((f) => `| ${f.feature} | ${f.ami} | ${f.ari} | ${f.ariWithCompanion} |`);
  return ["| feature | AMI | ARI | ARI + AMI companion |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

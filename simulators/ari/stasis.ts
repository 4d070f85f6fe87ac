// The ARI operations no trace shows, answered with the events ARI documents: snoop channels, Stasis
// bridges (create, add a channel, destroy), continuing a channel in the dialplan, recording and
// playing back on a channel in Stasis.

import { randomBytes } from "node:crypto";
import { type AriBridge, type AriChannel, formatAriTime } from "../../src/pbx/asterisk-ari/types.js";
import { type AriCore, liveChannel, newChannelSnapshot } from "./core.js";
import { HttpFailure } from "./http.js";

/** Snoop: a `Snoop/<target>-<n>` channel, Up, put into the app (StasisStart follows). */
export function snoop(core: AriCore, target: string, q: Record<string, string>): AriChannel {
  liveChannel(core, target);
  const app = q.app ?? "";
  if (!app) throw new HttpFailure(400, "Application name is required");
  const id = q.snoopId || core.alloc.uniqueid();
  if (core.state.channels.has(id)) throw new HttpFailure(409, "Channel with given unique ID already exists");
  const name = `Snoop/${target}-${(core.state.snoopSeq++).toString(16).padStart(8, "0")}`;
  const ch = newChannelSnapshot(id, name, "Up", "", "");
  ch.dialplan = { context: "default", exten: "s", priority: 1, app_name: "Stasis", app_data: app };
  core.events.emit({ type: "ChannelCreated", timestamp: formatAriTime(Date.now()), channel: ch });
  const args = (q.appArgs ?? "").split(",").filter((a) => a !== "");
  core.player.playNow("snoop", [
    {
      at: 5,
      event: { type: "StasisStart", args, channel: ch, application: app },
      run: () => {
        if (!core.state.channels.has(id)) return;
        core.events.emit({
          type: "StasisStart",
          timestamp: formatAriTime(Date.now()),
          args,
          channel: { ...ch },
          application: app,
        });
      },
    },
  ]);
  return { ...ch };
}

export function createBridge(core: AriCore, q: Record<string, string>): AriBridge {
  const id = q.bridgeId || core.alloc.bridgeId();
  if (core.state.bridges.has(id)) throw new HttpFailure(409, "Bridge with given id already exists");
  const b: AriBridge = {
    id,
    technology: "simple_bridge",
    bridge_type: (q.type ?? "mixing").split(",")[0] ?? "mixing",
    bridge_class: "stasis",
    creator: "Stasis",
    name: q.name ?? "",
    channels: [],
    creationtime: formatAriTime(Date.now()),
  };
  core.events.emit({ type: "BridgeCreated", timestamp: formatAriTime(Date.now()), bridge: b });
  return { ...b };
}

/** Only a Stasis bridge can be destroyed: its channels leave it first. */
export function destroyBridge(core: AriCore, id: string): void {
  const b = core.state.bridges.get(id);
  if (!b) throw new HttpFailure(404, "Bridge not found");
  if (b.bridge_class !== "stasis") throw new HttpFailure(409, "Bridge not in Stasis application");
  for (const member of [...(b.channels ?? [])]) {
    const c = core.state.channels.get(member);
    if (!c) continue;
    const channels = (core.state.bridges.get(id)?.channels ?? []).filter((x) => x !== member);
    core.events.emit({
      type: "ChannelLeftBridge",
      timestamp: formatAriTime(Date.now()),
      bridge: { ...b, channels },
      channel: { ...c.ch },
    });
  }
  core.events.emit({
    type: "BridgeDestroyed",
    timestamp: formatAriTime(Date.now()),
    bridge: { ...b, channels: [] },
  });
}

/** A channel in Stasis joins a Stasis bridge. */
export function addChannel(core: AriCore, bridgeId: string, channelId: string): void {
  const b = core.state.bridges.get(bridgeId);
  if (!b) throw new HttpFailure(404, "Bridge not found");
  if (b.bridge_class !== "stasis") throw new HttpFailure(409, "Bridge not in Stasis application");
  const c = core.state.channels.get(channelId);
  if (!c) throw new HttpFailure(400, "Channel not found");
  if (!c.app) throw new HttpFailure(422, "Channel not in Stasis application");
  const channels = [...(b.channels ?? []).filter((x) => x !== channelId), channelId];
  core.events.emit({
    type: "ChannelEnteredBridge",
    timestamp: formatAriTime(Date.now()),
    bridge: { ...b, channels },
    channel: { ...c.ch },
  });
}

/** The channel leaves Stasis (StasisEnd) for the dialplan place given. */
export function continueInDialplan(core: AriCore, id: string, q: Record<string, string>): void {
  const c = liveChannel(core, id);
  if (!c.app) throw new HttpFailure(409, "Channel not in a Stasis application");
  const now = formatAriTime(Date.now());
  core.events.emit({ type: "StasisEnd", timestamp: now, channel: { ...c.ch } });
  const ch: AriChannel = {
    ...c.ch,
    dialplan: {
      context: q.context ?? "default",
      exten: q.extension ?? "s",
      priority: Number(q.priority ?? 1),
      app_name: "",
      app_data: "",
    },
  };
  core.events.emit({
    type: "ChannelDialplan",
    timestamp: now,
    dialplan_app: "Answer",
    dialplan_app_data: "",
    channel: ch,
  });
}

/** A live recording on a channel in Stasis; names are unique on the system. */
export function record(core: AriCore, id: string, q: Record<string, string>): object {
  const c = liveChannel(core, id);
  if (!c.app) throw new HttpFailure(409, "Channel not in a Stasis application");
  const name = q.name ?? "";
  const format = q.format ?? "";
  if (!name || !format) throw new HttpFailure(400, "Recording name and format are required");
  if (core.state.recordings.has(name))
    throw new HttpFailure(422, "A recording with the same name already exists on the system");
  core.state.recordings.set(name, { name, format, channel: id });
  const recording = { name, format, state: "recording", target_uri: `channel:${id}` };
  core.events.emit({ type: "RecordingStarted", timestamp: formatAriTime(Date.now()), recording });
  return recording;
}

export function stopRecording(core: AriCore, name: string): void {
  const r = core.state.recordings.get(name);
  if (!r) throw new HttpFailure(404, "Recording not found");
  core.state.recordings.delete(name);
  core.events.emit({
    type: "RecordingFinished",
    timestamp: formatAriTime(Date.now()),
    recording: { name, format: r.format, state: "done", target_uri: `channel:${r.channel}` },
  });
}

/** A playback on a channel in Stasis: started and finished at once. */
export function play(core: AriCore, id: string, q: Record<string, string>): object {
  const c = liveChannel(core, id);
  if (!c.app) throw new HttpFailure(409, "Channel not in a Stasis application");
  const playback = {
    id: randomBytes(8).toString("hex"),
    media_uri: q.media ?? "",
    target_uri: `channel:${id}`,
    language: "en",
    state: "playing",
  };
  core.events.emit({ type: "PlaybackStarted", timestamp: formatAriTime(Date.now()), playback });
  core.events.emit({
    type: "PlaybackFinished",
    timestamp: formatAriTime(Date.now()),
    playback: { ...playback, state: "done" },
  });
  return playback;
}

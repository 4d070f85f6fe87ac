// The minimal ARI api-docs (swagger 1.1, as Asterisk serves them) for the test server: only the
// resources and operations Callsight calls, and the event models the server emits. Enough for
// ari-client 2.2.0 to load its API at connect (it fetches resources.json, then one document per
// resource) and to build its per-event resource objects.

type Param = [name: string, paramType: "path" | "query" | "body", dataType: string, required?: boolean];
type Op = [path: string, method: string, nickname: string, responseClass: string, params: Param[]];

const p = (name: string): Param => [name, "path", "string", true];
const q = (name: string, dataType = "string", required = false): Param => [name, "query", dataType, required];

const RESOURCES: Record<string, { description: string; ops: Op[] }> = {
  asterisk: {
    description: "Asterisk resources",
    ops: [
      ["/asterisk/info", "GET", "getInfo", "AsteriskInfo", [q("only")]],
      ["/asterisk/variable", "POST", "setGlobalVar", "void", [q("variable", "string", true), q("value")]],
    ],
  },
  endpoints: {
    description: "Endpoint resources",
    ops: [["/endpoints", "GET", "list", "List[Endpoint]", []]],
  },
  channels: {
    description: "Channel resources",
    ops: [
      ["/channels", "GET", "list", "List[Channel]", []],
      [
        "/channels",
        "POST",
        "originate",
        "Channel",
        [
          q("endpoint", "string", true),
          q("extension"),
          q("context"),
          q("priority", "long"),
          q("app"),
          q("appArgs"),
          q("callerId"),
          q("timeout", "int"),
          q("channelId"),
          ["variables", "body", "containers"],
        ],
      ],
      ["/channels/{channelId}", "GET", "get", "Channel", [p("channelId")]],
      ["/channels/{channelId}", "DELETE", "hangup", "void", [p("channelId"), q("reason")]],
      [
        "/channels/{channelId}/continue",
        "POST",
        "continueInDialplan",
        "void",
        [p("channelId"), q("context"), q("extension"), q("priority", "int")],
      ],
      [
        "/channels/{channelId}/snoop",
        "POST",
        "snoopChannel",
        "Channel",
        [p("channelId"), q("spy"), q("whisper"), q("app", "string", true), q("appArgs"), q("snoopId")],
      ],
      [
        "/channels/{channelId}/record",
        "POST",
        "record",
        "LiveRecording",
        [
          p("channelId"),
          q("name", "string", true),
          q("format", "string", true),
          q("maxDurationSeconds", "int"),
          q("maxSilenceSeconds", "int"),
          q("ifExists"),
          q("beep", "boolean"),
          q("terminateOn"),
        ],
      ],
      [
        "/channels/{channelId}/play",
        "POST",
        "play",
        "Playback",
        [p("channelId"), q("media", "string", true)],
      ],
    ],
  },
  bridges: {
    description: "Bridge resources",
    ops: [
      ["/bridges", "GET", "list", "List[Bridge]", []],
      ["/bridges", "POST", "create", "Bridge", [q("type"), q("bridgeId"), q("name")]],
      ["/bridges/{bridgeId}", "DELETE", "destroy", "void", [p("bridgeId")]],
      [
        "/bridges/{bridgeId}/addChannel",
        "POST",
        "addChannel",
        "void",
        [p("bridgeId"), q("channel", "string", true)],
      ],
    ],
  },
  recordings: {
    description: "Recording resources",
    ops: [["/recordings/live/{recordingName}/stop", "POST", "stop", "void", [p("recordingName")]]],
  },
  playbacks: {
    description: "Playback control resources",
    ops: [["/playbacks/{playbackId}", "GET", "get", "Playback", [p("playbackId")]]],
  },
  deviceStates: {
    description: "Device state resources",
    ops: [
      ["/deviceStates", "GET", "list", "List[DeviceState]", []],
      ["/deviceStates/{deviceName}", "GET", "get", "DeviceState", [p("deviceName")]],
    ],
  },
  events: {
    description: "WebSocket resource",
    ops: [
      [
        "/events",
        "GET",
        "eventWebsocket",
        "Message",
        [q("app", "string", true), q("subscribeAll", "boolean")],
      ],
    ],
  },
};

/** The event types the server emits and their typed properties (what ari-client turns into objects). */
const EVENT_MODELS: Record<string, Record<string, string>> = {
  ChannelCreated: { channel: "Channel" },
  ChannelDestroyed: { channel: "Channel", cause: "int", cause_txt: "string" },
  ChannelStateChange: { channel: "Channel" },
  ChannelDialplan: { channel: "Channel", dialplan_app: "string", dialplan_app_data: "string" },
  ChannelCallerId: { channel: "Channel" },
  ChannelConnectedLine: { channel: "Channel" },
  ChannelVarset: { channel: "Channel", variable: "string", value: "string" },
  ChannelHold: { channel: "Channel" },
  ChannelUnhold: { channel: "Channel" },
  ChannelHangupRequest: { channel: "Channel", cause: "int", soft: "boolean" },
  ChannelDtmfReceived: { channel: "Channel", digit: "string" },
  ChannelEnteredBridge: { bridge: "Bridge", channel: "Channel" },
  ChannelLeftBridge: { bridge: "Bridge", channel: "Channel" },
  BridgeCreated: { bridge: "Bridge" },
  BridgeDestroyed: { bridge: "Bridge" },
  BridgeMerged: { bridge: "Bridge", bridge_from: "Bridge" },
  BridgeBlindTransfer: { channel: "Channel", bridge: "Bridge", transferee: "Channel" },
  BridgeAttendedTransfer: { transferer_first_leg: "Channel", transferer_second_leg: "Channel" },
  Dial: { caller: "Channel", peer: "Channel", dialstring: "string", dialstatus: "string" },
  StasisStart: { channel: "Channel", args: "List[string]" },
  StasisEnd: { channel: "Channel" },
  DeviceStateChanged: { device_state: "DeviceState" },
  EndpointStateChange: { endpoint: "Endpoint" },
  ContactStatusChange: { endpoint: "Endpoint" },
  PeerStatusChange: { endpoint: "Endpoint" },
  RecordingStarted: { recording: "LiveRecording" },
  RecordingFinished: { recording: "LiveRecording" },
  RecordingFailed: { recording: "LiveRecording" },
  PlaybackStarted: { playback: "Playback" },
  PlaybackFinished: { playback: "Playback" },
};

export const ARI_RESOURCE_NAMES: readonly string[] = Object.keys(RESOURCES);

/** `GET /ari/api-docs/resources.json`. */
export function resourceListing(baseUrl: string): object {
  return {
    _copyright: "Callsight ARI test server: the subset of the Asterisk REST Interface Callsight uses",
    apiVersion: "9.0.0",
    swaggerVersion: "1.1",
    basePath: `${baseUrl}/ari`,
    apis: Object.entries(RESOURCES).map(([name, r]) => ({
      path: `/api-docs/${name}.{format}`,
      description: r.description,
    })),
  };
}

/** `GET /ari/api-docs/<name>.json`, or undefined for an unknown resource. */
export function apiDeclaration(name: string, baseUrl: string): object | undefined {
  const r = RESOURCES[name];
  if (!r) return undefined;
  const byPath = new Map<string, object[]>();
  for (const [path, method, nickname, responseClass, params] of r.ops) {
    const ops = byPath.get(path) ?? [];
    ops.push({
      httpMethod: method,
      summary: nickname,
      nickname,
      responseClass,
      parameters: params.map(([pname, paramType, dataType, required]) => ({
        name: pname,
        paramType,
        required: required ?? false,
        allowMultiple: false,
        dataType,
      })),
    });
    byPath.set(path, ops);
  }
  const doc: Record<string, unknown> = {
    apiVersion: "9.0.0",
    swaggerVersion: "1.1",
    basePath: `${baseUrl}/ari`,
    resourcePath: `/api-docs/${name}.{format}`,
    apis: [...byPath].map(([path, operations]) => ({ path, description: name, operations })),
  };
  if (name === "events") {
    const models: Record<string, unknown> = {
      Message: { id: "Message", properties: { type: { type: "string", required: true } } },
      Event: { id: "Event", properties: { application: { type: "string" }, timestamp: { type: "Date" } } },
    };
    for (const [type, props] of Object.entries(EVENT_MODELS)) {
      models[type] = {
        id: type,
        extends: "Event",
        properties: Object.fromEntries(Object.entries(props).map(([k, t]) => [k, { type: t }])),
      };
    }
    doc.models = models;
  }
  return doc;
}

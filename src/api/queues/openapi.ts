// The OpenAPI entries of the queue routes (routes.ts): the panel's shape and the two paths.

import { z } from "zod";
import { errors, json, party, queryParameters } from "../openapi/shared.js";
import { queueMemberBody, queueMemberQuery } from "./routes.js";

/** A queue's panel as the viewer sees it (domain/queue-view.ts, rule Q). */
const queuePanel = {
  type: "object",
  required: ["department", "pbx", "queue", "waiting", "agents", "otherAgents", "today"],
  properties: {
    department: { type: "string", description: "the department that owns the queue" },
    pbx: { type: "string" },
    queue: { type: "string", description: "the PBX's name of the queue (`400`, `sales@default`)" },
    waiting: {
      type: "array",
      description: "callers waiting, next first",
      items: {
        type: "object",
        required: ["since"],
        properties: {
          position: { type: "integer" },
          since: { type: "integer", description: "waiting since (ms since epoch)" },
          caller: {
            ...party,
            description: "who waits: only for the queue's agents, the department's supervisors and admins",
          },
        },
      },
    },
    agents: {
      type: "array",
      items: {
        type: "object",
        required: ["loggedIn", "paused", "onQueueCall"],
        properties: {
          user: {
            type: "string",
            description: "the user whose phone the member is (as rule 1 lets the caller see them)",
          },
          name: {
            type: "string",
            description: "the PBX's name of a member no user is known for (supervisors and admins)",
          },
          loggedIn: { type: "boolean" },
          paused: { type: "boolean" },
          pauseReason: { type: "string" },
          pausedSince: { type: "integer" },
          onQueueCall: { type: "boolean", description: "talking to a caller this queue gave them" },
        },
      },
    },
    otherAgents: {
      type: "object",
      description: "members the caller may not see, counted",
      properties: { loggedIn: { type: "integer" }, paused: { type: "integer" } },
    },
    today: {
      type: "object",
      description: "since the start of the day in the configured timeZone",
      properties: {
        answered: { type: "integer" },
        abandoned: { type: "integer", description: "callers who hung up while waiting" },
        longestWaitMs: { type: "integer" },
      },
    },
  },
};

export const queuePaths = {
  "/v1/queues": {
    get: {
      summary:
        "the panels of the queues the caller's departments own (admins: all): callers waiting, agents, the day's counters",
      responses: {
        "200": {
          description: "the panels, in directory order",
          content: json({
            type: "object",
            required: ["queues"],
            properties: { queues: { type: "array", items: queuePanel } },
          }),
        },
        ...errors,
      },
    },
  },
  "/v1/queues/{queue}/agents/{user}": {
    put: {
      summary:
        "pause or unpause a queue member, or log them in or out (`me` for oneself; supervisors: their queue's members; admins: anyone). Audited.",
      parameters: [
        { name: "queue", in: "path", required: true, schema: { type: "string" } },
        { name: "user", in: "path", required: true, schema: { type: "string" } },
        ...queryParameters(queueMemberQuery, { pbx: "the PBX, when queues of that name are on several" }),
      ],
      requestBody: { content: json(z.toJSONSchema(queueMemberBody, { io: "input" })) },
      responses: {
        "202": { description: "the PBX took it (the panel shows it once the PBX reports it back)" },
        ...errors,
        "409": {
          description:
            "not a logged-in member of the queue as its PBX reports (pause, log out), already logged in (log in), or the PBX said no (a static member, no agent for the extension)",
        },
        "502": { description: "the PBX refused or is unreachable" },
      },
    },
  },
};

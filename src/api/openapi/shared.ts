// What every part of the OpenAPI document uses: the error answers, JSON content, query parameters read
// from the handlers' zod schemas, a call's party.

import { z } from "zod";

export const errorBody = {
  type: "object",
  properties: { error: { type: "string" }, message: { type: "string" }, problems: { type: "array" } },
};
export const json = (schema: unknown) => ({ "application/json": { schema } });
export const errors = {
  "400": { description: "invalid request; `problems` names each bad field", content: json(errorBody) },
  "401": { description: "no or unknown bearer token", content: json(errorBody) },
  "403": { description: "authenticated, but not allowed", content: json(errorBody) },
  "429": {
    description:
      "too many failed authentications from this address (`auth.failureLimit` per window); `Retry-After` says when to try again",
    content: json(errorBody),
  },
  "503": {
    description:
      "Redis cannot be reached (the token is checked there first); `message` says so, `Retry-After` when to try again",
    content: json(errorBody),
  },
};

/** Query parameters from the zod schema the handler validates with (as the client writes them). */
export function queryParameters(schema: z.ZodType, descriptions: Record<string, string>): unknown[] {
  const json = z.toJSONSchema(schema, { io: "input" }) as { properties?: Record<string, unknown> };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: "query",
    required: false,
    schema: property,
    ...(Object.hasOwn(descriptions, name) ? { description: descriptions[name] } : {}),
  }));
}

export const party = {
  type: "object",
  properties: {
    user: { type: "string" },
    number: { type: "string" },
    name: { type: "string" },
    external: { type: "boolean" },
  },
};

export const LIMIT = "at most this many (1-1000, default 100)";

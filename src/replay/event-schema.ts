// Validates normalized events read from outside (JSONL traces): the schema lives with the event types.

export { type ParsedEvent, parseEvent, pbxEventSchema } from "../domain/event-schema.js";

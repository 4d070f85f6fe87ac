// The OpenAPI entries of the recording routes (routes.ts, audio.ts): the list, the play and download links,
// the audio behind them, and the failed ones.

import { audioLink, failedRecording, recording, recordingId } from "../openapi/schemas.js";
import { errorBody, errors, json, LIMIT, queryParameters } from "../openapi/shared.js";
import { failedQuery, recordingsQuery } from "./routes.js";

export const recordingPaths = {
  "/v1/recordings": {
    get: {
      summary:
        "stored recordings by user, call and date; admins see all, others the calls they were on or recorded on demand",
      parameters: queryParameters(recordingsQuery, {
        user: "recordings with this user among the parties",
        call: "recordings of this call id",
        department:
          "admins only: recordings concerning a member of this department (a party, who required it, who recorded it); 400 for anyone else or an unknown department",
        from: "started at or after: ms since epoch or an ISO 8601 date",
        to: "started at or before: ms since epoch or an ISO 8601 date (not before from)",
        limit: LIMIT,
      }),
      responses: {
        "200": {
          description: "the recordings the caller may see, newest first",
          content: json({
            type: "object",
            required: ["recordings"],
            properties: { recordings: { type: "array", items: recording } },
          }),
        },
        ...errors,
      },
    },
  },
  "/v1/recordings/{id}/play": {
    post: {
      summary:
        "a link to play one recording the caller may see (the list's rule): good for this recording only, expires after 5 minutes unused and 4 hours after issue, ends with the token; audited as recording.play",
      parameters: [recordingId],
      responses: {
        "200": { description: "the link", content: json(audioLink) },
        ...errors,
        "404": {
          description: "no such recording, or one the caller may not see (the same answer)",
          content: json(errorBody),
        },
      },
    },
  },
  "/v1/recordings/{id}/download": {
    post: {
      summary:
        "a link to download one recording the caller may see, as an attachment; as /play otherwise; audited as recording.download",
      parameters: [recordingId],
      responses: {
        "200": {
          description: "the link, and the file name the download gets (its start time and id)",
          content: json({
            ...audioLink,
            required: [...audioLink.required, "fileName"],
            properties: { ...audioLink.properties, fileName: { type: "string" } },
          }),
        },
        ...errors,
        "404": {
          description: "no such recording, or one the caller may not see (the same answer)",
          content: json(errorBody),
        },
      },
    },
  },
  "/v1/recordings/{id}/audio": {
    get: {
      summary:
        "the audio (audio/wav), on a link from /play or /download: no bearer token (an <audio> cannot send one), the grant is the credential. One byte range per request (bytes=a-b, a-, -n); If-Range, ETag, Last-Modified",
      security: [],
      parameters: [
        recordingId,
        { name: "grant", in: "query", required: true, schema: { type: "string" } },
        {
          name: "download",
          in: "query",
          description: "1 on a download link (Content-Disposition: attachment)",
          schema: { type: "string", enum: ["1"] },
        },
      ],
      responses: {
        "200": {
          description: "the whole file",
          content: { "audio/wav": { schema: { type: "string", format: "binary" } } },
        },
        "206": {
          description: "the range asked for, with Content-Range",
          content: { "audio/wav": { schema: { type: "string", format: "binary" } } },
        },
        "304": { description: "If-None-Match matched" },
        "400": errors["400"],
        "401": {
          description:
            "no link, or one unknown, expired, or for another recording or purpose (the same answer)",
          content: json(errorBody),
        },
        "404": {
          description: "the viewer may no longer see the recording, or its audio is gone",
          content: json(errorBody),
        },
        "416": {
          description: "the range starts past the end; Content-Range: bytes */size",
          content: json(errorBody),
        },
        "503": errors["503"],
      },
    },
  },
  "/v1/recordings/failed": {
    get: {
      summary: "admins: recordings whose processing used up its retries, with the reason",
      parameters: queryParameters(failedQuery, { limit: LIMIT }),
      responses: {
        "200": {
          description: "failed finalize jobs",
          content: json({
            type: "object",
            required: ["failed"],
            properties: { failed: { type: "array", items: failedRecording } },
          }),
        },
        ...errors,
      },
    },
  },
};

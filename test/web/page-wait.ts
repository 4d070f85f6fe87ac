// How long a Chromium test waits for the page to show what the server sent. Every wait is for an event (a
// message, a DOM change); this only bounds it. Generous: on CI the unit suite runs beside Chromium, Redis and
// several simulators on 2 cores, and a 5 s bound failed there while nothing was wrong. A test's own timeout
// (vitest's) stays the last word.
export const PAGE_WAIT_MS = 20_000;

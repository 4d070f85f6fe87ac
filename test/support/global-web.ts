// The web pages' scripts are built once before the tests (the server serves web/dist, as in production).

// @ts-expect-error: a plain ES module without types (web/build.mjs is also run by `npm run build`).
import { buildWeb } from "../../web/build.mjs";

export async function setup(): Promise<void> {
  await buildWeb();
}

// Click-to-call from the board: the number box (a colleague's extension or a phone number) and the Call
// button on colleagues' tiles (tiles.ts, from the operation table) both ask POST /v1/operations/call.
// Callsight rings the viewer's own phone first and, once they answer, dials the target as their extension;
// the calls then show on the tiles like any other. Shown only when the viewer may (`may.dial`); the server
// decides again, and says so when an outside number is not allowed (`may.dialExternal` off).

import type { BoardView } from "../../../src/domain/visibility.js";
import { byId } from "../session.js";
import { t } from "./strings.js";
import { operate } from "./tiles.js";

/** Wires the number box: Enter or the button calls what it holds. */
export function wireDial(): void {
  const form = byId<HTMLFormElement>("dial");
  const to = byId<HTMLInputElement>("dial-to");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const number = to.value.trim();
    if (!number) {
      byId("message").textContent = t("dial.empty");
      to.focus();
      return;
    }
    // A refused number stays in the box, to be corrected.
    void operate("call", { to: number }).then((taken) => {
      if (taken) to.value = "";
    });
  });
}

/** Shows the number box to viewers who may call, with what they may call. */
export function renderDial(view: BoardView): void {
  const form = byId<HTMLFormElement>("dial");
  form.hidden = !view.may.dial;
  const hint = byId("dial-hint");
  const text = view.may.dialExternal ? t("dial.anyNumber") : t("dial.internalOnly");
  if (hint.textContent !== text) hint.textContent = text;
}

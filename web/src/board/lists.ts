// The board's lists besides the people: the PBX links that are not up, the monitoring sessions and the
// parked calls.

import type { PbxLink } from "../../../src/domain/pbx-links.js";
import type { BoardView } from "../../../src/domain/visibility.js";
import { byId, element } from "../session.js";
import { nameOf, sinceSpan } from "./state.js";
import { t } from "./strings.js";
import { BUTTONS, opButton, partyText } from "./tiles.js";

/** What a viewer must know about a PBX link that is not up: the board is not live for it. */
function linkText(link: PbxLink): string | undefined {
  if (link.state === "connecting") return t("link.connecting", { pbx: link.pbx });
  if (link.state === "down") {
    const at =
      link.since === undefined ? "" : t("link.since", { time: new Date(link.since).toLocaleTimeString() });
    return t("link.down", { pbx: link.pbx, at });
  }
  return undefined;
}

/** The banner changes only with the links (an alert that rewrote itself every second would be re-read). */
export function renderLinks(links: readonly PbxLink[]): void {
  const banner = byId("links");
  const shown = links.flatMap((link) => {
    const text = linkText(link);
    return text === undefined ? [] : [{ link, text }];
  });
  const key = JSON.stringify(shown.map((s) => [s.link.pbx, s.link.state, s.text]));
  if (banner.dataset.shown === key) return;
  banner.dataset.shown = key;
  banner.replaceChildren(
    ...shown.map(({ link, text }) => {
      const line = element("div", text, `link link-${link.state}`);
      line.dataset.pbx = link.pbx;
      return line;
    }),
  );
  banner.hidden = shown.length === 0;
}

let lastMonitoring: BoardView["monitoring"] | undefined;
let lastParked: { parked: BoardView["parked"]; may: BoardView["may"] } | undefined;

export function renderMonitoring(view: BoardView): void {
  if (lastMonitoring === view.monitoring) return;
  lastMonitoring = view.monitoring;
  byId("monitoring-section").hidden = view.monitoring.length === 0;
  byId("monitoring").replaceChildren(
    ...view.monitoring.map((m) => {
      const row = element(
        "div",
        `${t("monitoring.row", { by: m.by ? nameOf(m.by) : "?", mode: m.mode, target: m.target ? nameOf(m.target) : "?", since: "" })}`,
      );
      row.append(sinceSpan(m.startedAt));
      return row;
    }),
  );
}

export function renderParked(view: BoardView): void {
  if (lastParked?.parked === view.parked && lastParked.may === view.may) return;
  lastParked = { parked: view.parked, may: view.may };
  byId("parked-section").hidden = view.parked.length === 0;
  byId("parked").replaceChildren(
    ...view.parked.map((pc) => {
      const by = pc.by ? ` · ${t("parked.by", { name: pc.by.name })}` : "";
      const row = element(
        "div",
        `${pc.lot}/${pc.space} · ${pc.party ? partyText(pc.party) : t("parked.call")}${by} · `,
      );
      row.dataset.call = pc.call;
      if (pc.by) row.dataset.parkedBy = pc.by.user;
      row.append(sinceSpan(pc.since), " ");
      for (const { entry, button: b } of BUTTONS) {
        if (b.on === "parked" && view.may[b.may]) {
          row.append(opButton(entry, { call: pc.call }, b.title?.replace("{space}", pc.space)));
        }
      }
      return row;
    }),
  );
}

/** After a language change every list is written again. */
export function forgetLists(): void {
  lastMonitoring = undefined;
  lastParked = undefined;
  delete byId("links").dataset.shown;
}

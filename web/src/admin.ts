// The admin console: what an administrator needs daily, one tab each — users and departments
// (admin/users.ts), the PBX connections (admin/pbx.ts), recording failures (admin/recordings.ts), the
// audit log (admin/audit.ts) and tokens (admin/tokens.ts). Everything goes through the admin API.

import { loadAudit, wireAudit } from "./admin/audit.js";
import { state, tokenIdOf } from "./admin/common.js";
import { refreshPbx, startPbx } from "./admin/pbx.js";
import { loadRecordingFailures, wireRecordings } from "./admin/recordings.js";
import { loadTokens, renderTokenUsers, wireTokens } from "./admin/tokens.js";
import {
  loadDirectory,
  renderDepartments,
  renderEditor,
  renderUsers,
  wireNewDepartment,
} from "./admin/users.js";
import { byId, signIn } from "./session.js";

/** Each tab, its panel, and what opening it reads again. */
const TABS: [tab: string, panel: string, open: () => void][] = [
  ["tab-users", "console", () => undefined],
  ["tab-pbx", "panel-pbx", () => void refreshPbx()],
  ["tab-recordings", "panel-recordings", () => void loadRecordingFailures()],
  ["tab-audit", "panel-audit", () => void loadAudit()],
  [
    "tab-tokens",
    "panel-tokens",
    () => {
      renderTokenUsers();
      void loadTokens();
    },
  ],
];

function openTab(id: string, focus = false): void {
  for (const [tab, panel, open] of TABS) {
    const selected = tab === id;
    const button = byId(tab);
    button.setAttribute("aria-selected", String(selected));
    button.tabIndex = selected ? 0 : -1;
    byId(panel).hidden = !selected;
    if (selected) {
      if (focus) button.focus();
      open();
    }
  }
}

function wireTabs(): void {
  TABS.forEach(([tab], i) => {
    const button = byId(tab);
    button.addEventListener("click", () => openTab(tab));
    // Arrow keys move between the tabs (the WAI-ARIA tabs pattern).
    button.addEventListener("keydown", (ev) => {
      const step = ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0;
      if (!step) return;
      ev.preventDefault();
      openTab(TABS[(i + step + TABS.length) % TABS.length]![0], true);
    });
  });
}

signIn((token) => {
  state.token = token;
  state.signedOut = false;
  void (async () => {
    state.tokenId = await tokenIdOf(token);
    if (!(await loadDirectory())) return;
    byId("admin").hidden = false;
    renderUsers();
    renderEditor();
    renderDepartments();
    renderTokenUsers();
    startPbx();
    // The count of failures on the tab's label, whichever tab is open.
    void loadRecordingFailures();
  })();
});
wireTabs();
wireNewDepartment();
wireRecordings();
wireAudit();
wireTokens();

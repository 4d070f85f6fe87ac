// The Users tab, after the hosted-PBX consoles the product follows: Users → a user → "View" (what they
// show and see, what they may do) and "Options" (which of their calls are recorded); and the departments.
// Every change goes through the admin API, is validated there with the rules of callsight.yaml, reaches
// every running instance and is written to the audit log; boards follow live.

import { type Operation, OPERATIONS as SWITCHES_OF_A_USER } from "../../../src/domain/directory.js";
import { type ApiError, api, button, byId, element } from "../session.js";
import { type DirectoryAnswer, problemText, say, signedOut, state, type UserEntry } from "./common.js";

const SWITCHES = [
  [
    "showMyCalls",
    "Show My Calls",
    "Colleagues in my departments may see whom I am talking to, not only that I am on a call.",
  ],
  ["presence", "Presence", "I see whether the members of my departments are available, ringing, on a call…"],
  ["calls", "Calls", "I also see my colleagues' calls (whom they talk to only if they show their calls)."],
  ["sharePresence", "Share my presence", "My colleagues may see my status at all."],
] as const;

/** A label for every switch (domain/directory.ts): the compiler asks for one when a switch is added. */
const OPERATION_LABELS: Record<Operation, string> = {
  pickup: "Pick up a ringing call",
  parkedPickup: "Pick up a parked call",
  sendToIvr: "Send a call to the IVR",
  listen: "Listen",
  whisper: "Whisper",
  barge: "Barge in",
  takeOver: "Take over a call",
  dial: "Call from the board",
  dialExternal: "Call outside numbers from the board",
};

const OPERATIONS = SWITCHES_OF_A_USER.map((op) => [op, OPERATION_LABELS[op]] as const);

const RECORDING = [
  ["off", "Off"],
  ["external", "External calls only"],
  ["all", "All calls"],
] as const;

const ROLES = ["agent", "supervisor", "admin"] as const;

/** The user whose editor is open. */
let selected: string | undefined;

/** Reads the directory again (after a change); false when it could not. */
export async function loadDirectory(): Promise<boolean> {
  const answer = await api<DirectoryAnswer>(state.token, "GET", "/v1/admin/directory");
  if (answer.status === 401) {
    signedOut();
    return false;
  }
  if (answer.status === 403) {
    byId("status").textContent = "administrators only";
    say("This token belongs to someone who is not an administrator.");
    return false;
  }
  if (!answer.ok) {
    say(problemText(answer.body as ApiError));
    return false;
  }
  state.directory = answer.body as DirectoryAnswer;
  byId("status").textContent = `directory version ${state.directory.version}`;
  return true;
}

export function renderUsers(): void {
  const doc = state.directory?.document;
  if (!doc) return;
  const list = byId("users");
  const users = [...doc.users].sort((a, b) => a.name.localeCompare(b.name));
  list.replaceChildren(
    ...users.map((u) => {
      const item = element("li");
      const b = button(`${u.name} · ${u.extension}`, () => {
        selected = u.id;
        renderUsers();
        renderEditor();
        byId<HTMLInputElement>("f-showMyCalls").focus();
      });
      b.dataset.user = u.id;
      b.setAttribute("aria-current", String(selected === u.id));
      item.append(b, element("span", ` ${u.role ?? "agent"} · ${u.departments.join(", ")}`, "muted"));
      return item;
    }),
  );
}

function checkbox(id: string, label: string, checked: boolean, help?: string): HTMLElement {
  const row = element("label", undefined, "switch");
  const input = element("input");
  input.type = "checkbox";
  input.id = id;
  input.checked = checked;
  row.append(input, element("span", label));
  if (help) row.append(element("small", help));
  return row;
}

function fieldset(legend: string, ...children: HTMLElement[]): HTMLFieldSetElement {
  const fs = element("fieldset");
  fs.append(element("legend", legend), ...children);
  return fs;
}

export function renderEditor(): void {
  const editor = byId("editor");
  const dir = state.directory;
  const user = dir?.document.users.find((u) => u.id === selected);
  if (!dir || !user) {
    editor.replaceChildren(element("p", "Choose a user to edit.", "muted"));
    return;
  }
  const d = dir.defaults;
  const form = element("form");
  form.id = "user-form";
  form.dataset.user = user.id;
  form.append(element("h2", `${user.name} (${user.extension})`));

  const view = fieldset(
    "View",
    ...SWITCHES.map(([key, label, help]) => checkbox(`f-${key}`, label, user[key] ?? d[key], help)),
  );
  const ops = fieldset(
    "Operations",
    ...OPERATIONS.map(([key, label]) =>
      checkbox(`f-op-${key}`, label, user.operations?.[key] ?? d.operations[key]),
    ),
  );
  ops.append(
    element("small", "Listen, whisper, barge and take over also need a role that may monitor.", "muted"),
  );
  const role = element("select");
  role.id = "f-role";
  for (const r of ROLES) {
    const o = element("option", r);
    o.value = r;
    o.selected = (user.role ?? "agent") === r;
    role.append(o);
  }
  const roleLabel = element("label", "Role ");
  roleLabel.htmlFor = "f-role";
  const roleSet = fieldset("Role", roleLabel, role);
  const departments = fieldset(
    "Departments",
    ...dir.document.departments.map((dep) =>
      checkbox(`f-dep-${dep.id}`, dep.name, user.departments.includes(dep.id)),
    ),
  );
  const delegates = fieldset(
    "Pickup delegates (may pick up this user's calls from outside their departments)",
    ...dir.document.users
      .filter((u) => u.id !== user.id)
      .map((u) =>
        checkbox(
          `f-del-${u.id}`,
          `${u.name} (${u.extension})`,
          (user.pickupDelegates ?? d.pickupDelegates).includes(u.id),
        ),
      ),
  );
  const recording = fieldset("Options: call recording");
  for (const [value, label] of RECORDING) {
    const row = element("label", undefined, "switch");
    const input = element("input");
    input.type = "radio";
    input.name = "recording";
    input.value = value;
    input.id = `f-rec-${value}`;
    input.checked = (user.recording ?? d.recording) === value;
    row.append(input, element("span", label));
    recording.append(row);
  }
  const save = element("button", "Save");
  save.type = "submit";
  form.append(view, ops, roleSet, departments, delegates, recording, save);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    void saveUser(user, dir);
  });
  editor.replaceChildren(form);
}

function checked(id: string): boolean {
  return byId<HTMLInputElement>(id).checked;
}

async function saveUser(user: UserEntry, dir: DirectoryAnswer): Promise<void> {
  const operations = Object.fromEntries(OPERATIONS.map(([key]) => [key, checked(`f-op-${key}`)]));
  const patch = {
    ...Object.fromEntries(SWITCHES.map(([key]) => [key, checked(`f-${key}`)])),
    operations,
    role: byId<HTMLSelectElement>("f-role").value,
    departments: dir.document.departments.filter((dep) => checked(`f-dep-${dep.id}`)).map((dep) => dep.id),
    pickupDelegates: dir.document.users
      .filter((u) => u.id !== user.id && checked(`f-del-${u.id}`))
      .map((u) => u.id),
    recording: document.querySelector<HTMLInputElement>('input[name="recording"]:checked')?.value ?? "off",
  };
  const answer = await api<UserEntry>(
    state.token,
    "PATCH",
    `/v1/admin/users/${encodeURIComponent(user.id)}`,
    patch,
  );
  if (!answer.ok) {
    say(`Not saved: ${problemText(answer.body as ApiError)}`);
    return;
  }
  say(`Saved ${user.name}.`);
  if (await loadDirectory()) {
    renderUsers();
    renderEditor();
  }
}

export function renderDepartments(): void {
  const doc = state.directory?.document;
  if (!doc) return;
  byId("departments").replaceChildren(
    ...doc.departments.map((dep) => {
      const members = doc.users.filter((u) => u.departments.includes(dep.id)).length;
      return element("li", `${dep.name} (${dep.id}) · ${members} member${members === 1 ? "" : "s"}`);
    }),
  );
}

export function wireNewDepartment(): void {
  byId<HTMLFormElement>("new-department").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const id = byId<HTMLInputElement>("dep-id").value.trim();
    const name = byId<HTMLInputElement>("dep-name").value.trim();
    void (async () => {
      const answer = await api(state.token, "POST", "/v1/admin/departments", { id, name });
      if (!answer.ok) {
        say(`Department not added: ${problemText(answer.body as ApiError)}`);
        return;
      }
      say(`Added department ${name}.`);
      if (await loadDirectory()) {
        renderDepartments();
        renderEditor();
      }
    })();
  });
}

// Weekly calendars on the admin page, one editor for two things: an agent's shifts (with
// leave; PUT /users/{id}/shifts, the next 14 days it materialised drawn below) and a queue's
// opening hours (PATCH /queues/{id} {hours}; "always open" is null). The API checks the plan and
// its error is shown as written.
import { api } from "./api.js";
import { h, t, toast, when } from "./ui.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const HERE = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

// The calendar's inputs; read() gives the API's shape (leave only when asked for).
function calendarFields(plan, { withLeave = false, addLabel = t("add_shift") } = {}) {
  const zoneId = id("zone"), zonesId = id("zones"), countryId = id("country"), regionId = id("region");
  const zone = h("input", { id: zoneId, value: plan.timezone, list: zonesId, required: true, size: 22 });
  const zones = h("datalist", { id: zonesId },
    ...(Intl.supportedValuesOf?.("timeZone") ?? []).map((z) => h("option", { value: z })));
  const weekly = rows(plan.weekly ?? [], weeklyRow, addLabel, { days: ["mon", "tue", "wed", "thu", "fri"], start: "09:00", end: "17:00" });
  const leave = withLeave ? rows(plan.leave ?? [], leaveRow, t("add_leave"), { from: "", to: "" }) : null;
  const exceptions = rows(plan.exceptions ?? [], exceptionRow, t("add_exception"), { date: "", off: true });
  const country = h("input", { id: countryId, value: plan.holidays?.country ?? "", size: 3, maxlength: 2,
    placeholder: "DE" });
  const region = h("input", { id: regionId, value: plan.holidays?.region ?? "", size: 4, placeholder: "BY" });
  const read = () => {
    const body = { timezone: zone.value.trim(), weekly: weekly.values(), exceptions: exceptions.values() };
    if (leave) body.leave = leave.values();
    if (country.value.trim()) {
      body.holidays = { country: country.value.trim().toUpperCase() };
      if (region.value.trim()) body.holidays.region = region.value.trim();  // "BY", "Augsburg"
    }
    return body;
  };
  const elements = [
    h("label", { for: zoneId }, t("timezone")), zone, zones,
    h("fieldset", {}, h("legend", {}, t("weekly")), weekly.box),
    leave && h("fieldset", {}, h("legend", {}, t("leave")), leave.box),
    h("fieldset", {}, h("legend", {}, t("exceptions")), exceptions.box),
    h("fieldset", { class: "inline" }, h("legend", {}, t("holidays")),
      h("label", { for: countryId }, t("country")), country,
      h("label", { for: regionId }, t("region")), region)];
  return { elements, read };
}

export async function drawShifts(box, userId) {
  if (!userId) { box.replaceChildren(); return; }
  const data = await api(`/users/${userId}/shifts`);
  const calendar = calendarFields(data.plan ?? { timezone: HERE(), weekly: [] }, { withLeave: true });
  const result = h("span", { role: "status" });
  const save = async (e) => {
    e.preventDefault();
    try {
      await api(`/users/${userId}/shifts`, { method: "PUT", body: calendar.read() });
      await drawShifts(box, userId);
      box.querySelector("[role=status]").textContent = "✓";
    } catch (err) { result.textContent = err.message; result.className = "error"; }
  };
  box.replaceChildren(
    h("form", { class: "planner shifts", onsubmit: save }, ...calendar.elements,
      h("button", { type: "submit", class: "primary" }, t("save")), " ", result),
    h("h3", {}, t("upcoming")),
    h("ul", { class: "plain upcoming" }, data.upcoming.map((i) => h("li", {}, `${when(i.starts_at)} – ${when(i.ends_at)}`))));
}

// A queue's opening hours. While it is closed, a ticket nobody on duty can take gets the
// after-hours reply once, and callers are offered voicemail. Disabled inputs are neither
// checked by the browser nor sent.
export function hoursForm(queue, saved) {
  const calendar = calendarFields(queue.hours ?? { timezone: HERE(), weekly: [] },
    { addLabel: t("add_hours") });
  const alwaysId = id("always");
  const always = h("input", { id: alwaysId, type: "checkbox", checked: queue.hours === null });
  const fields = h("fieldset", { class: "plain" }, h("legend", { class: "sr-only" }, t("opening_hours")),
    ...calendar.elements);
  const sync = () => { fields.disabled = fields.hidden = always.checked; };
  always.addEventListener("change", sync);
  sync();
  const result = h("span", { role: "status" });
  const save = async (e) => {
    e.preventDefault();
    try {
      await api(`/queues/${queue.id}`, { method: "PATCH",
        body: { hours: always.checked ? null : calendar.read() } });
      toast(`${queue.name}: ${t("saved")}`);
      result.textContent = "✓";
      result.className = "ok";
      await saved?.();
    } catch (err) { result.textContent = err.message; result.className = "error"; }
  };
  return h("form", { class: "planner hours", onsubmit: save },
    h("div", { class: "field" }, always, h("label", { for: alwaysId }, t("always_open"))), fields,
    h("button", { type: "submit", class: "primary" }, t("save")), " ", result);
}

// A list of editable rows with "add" and per-row "remove"; values() reads them back.
function rows(items, draw, addLabel, blank) {
  const list = h("ol", { class: "plain rows" });
  const readers = new Map();
  const add = (item) => {
    const { el, read } = draw(item, list.children.length);
    const li = h("li", {}, el, h("button", { type: "button", class: "link", onclick: () => {
      readers.delete(li); li.remove(); } }, t("remove")));
    readers.set(li, read);
    list.append(li);
  };
  items.forEach(add);
  const box = h("div", {}, list,
    h("button", { type: "button", onclick: () => add(structuredClone(blank)) }, addLabel));
  return { box, values: () => [...readers.values()].map((read) => read()) };
}

let serial = 0;  // ids that tie each label to its input
function id(name) { return `sh-${name}-${++serial}`; }

function timeInput(name, value, label) {
  const key = id(name);
  // a time input cannot hold 24:00; 00:00 is the same end (an end <= start is the next day)
  const input = h("input", { id: key, type: "time", value: value === "24:00" ? "00:00" : value ?? "",
    required: true });
  return { input, el: [h("label", { for: key, class: "sr-only" }, label), input] };
}

function weeklyRow(item) {
  const boxes = DAYS.map((d) => {
    const key = id(d);
    const box = h("input", { id: key, type: "checkbox", value: d, checked: item.days.includes(d) });
    return { d, box, el: h("span", { class: "day" }, box, h("label", { for: key }, t(`day_${d}`))) };
  });
  const start = timeInput("start", item.start, t("start"));
  const end = timeInput("end", item.end, t("end"));
  return {
    el: h("span", { class: "row" }, boxes.map((b) => b.el), start.el, "–", end.el),
    read: () => ({ days: boxes.filter((b) => b.box.checked).map((b) => b.d), start: start.input.value,
      end: end.input.value }),
  };
}

function dateInput(name, value, label) {
  const key = id(name);
  const input = h("input", { id: key, type: "date", value: value ?? "", required: true });
  return { input, el: [h("label", { for: key }, label), input] };
}

function leaveRow(item) {
  const from = dateInput("from", item.from, t("from"));
  const to = dateInput("to", item.to, t("to"));
  return { el: h("span", { class: "row" }, from.el, to.el),
    read: () => ({ from: from.input.value, to: to.input.value }) };
}

function exceptionRow(item) {
  const day = dateInput("date", item.date, t("date"));
  const offKey = id("off");
  const off = h("input", { id: offKey, type: "checkbox", checked: item.off });
  const start = timeInput("xstart", item.start, t("start"));
  const end = timeInput("xend", item.end, t("end"));
  const times = h("span", { class: "row" }, start.el, "–", end.el);
  const sync = () => {
    times.hidden = off.checked;
    start.input.required = end.input.required = !off.checked;
  };
  off.addEventListener("change", sync);
  sync();
  return { el: h("span", { class: "row" }, day.el, off, h("label", { for: offKey }, t("day_off")), times),
    read: () => (off.checked ? { date: day.input.value, off: true }
      : { date: day.input.value, start: start.input.value, end: end.input.value }) };
}

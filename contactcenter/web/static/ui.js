// Small helpers: building DOM safely (text is never parsed as HTML), words, durations, clocks.
let WORDS = {};

export async function loadWords(lang) {
  const resp = await fetch(`/app/i18n/${lang}.json`);
  WORDS = await resp.json();
}

export const t = (key) => WORDS[key] ?? key;

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A region with its heading from the start: a section named by a heading that is not drawn yet
// has no name, so it is no region (axe: aria-prohibited-attr). Draw into `body`; the heading
// stays, so screen readers do not hear it again on every refresh.
export function panel(id, title, cls = "panel") {
  const heading = h("h2", { id }, title);
  const body = h("div", { "aria-busy": "true" });
  const section = h("section", { class: cls, "aria-labelledby": id }, heading, body);
  const fill = (...nodes) => { body.replaceChildren(...nodes); body.removeAttribute("aria-busy"); };
  return { section, heading, body, fill };
}

export function duration(seconds) {
  const s = Math.max(0, Math.round(Math.abs(seconds)));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

// A ticking SLA clock: the 1-second ticker (live.js) refreshes every [data-due] element.
export function clock(name, c) {
  const el = h("span", { class: `clock clock--${c.state}`, title: t(name) });
  if (c.due_at && !["met", "paused", "stopped"].includes(c.state)) el.dataset.due = c.due_at;
  el.dataset.label = t(name);
  el.dataset.state = c.state;
  renderClock(el);
  return el;
}

export function renderClock(el) {
  const label = el.dataset.label;
  if (!el.dataset.due) {
    el.textContent = `${label}: ${t(el.dataset.state === "paused" ? "paused" : "met")}`;
    return;
  }
  const left = (Date.parse(el.dataset.due) - Date.now()) / 1000;
  el.textContent = left >= 0 ? `${label}: ${t("due_in")} ${duration(left)}` : `${label}: ${t("overdue")} ${duration(left)}`;
  el.classList.toggle("clock--breached", left < 0);
}

export function toast(message) {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.classList.add("show");
  clearTimeout(box._timer);
  box._timer = setTimeout(() => box.classList.remove("show"), 5000);
}

export function when(iso) {
  return new Date(iso).toLocaleString(document.documentElement.lang, {
    dateStyle: "short", timeStyle: "short",
  });
}

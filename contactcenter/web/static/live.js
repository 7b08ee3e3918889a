// One EventSource for the page: events go to whoever listens; a 1-second ticker redraws
// countdowns (SLA clocks, offer expiry) without asking the server.
import { renderClock, t, duration } from "./ui.js";

const listeners = new Set();
export const onEvents = (fn) => { listeners.add(fn); return () => listeners.delete(fn); };

export function connect() {
  const status = document.getElementById("live");
  const source = new EventSource("/api/v1/events");
  source.onopen = () => { status.textContent = `● ${t("live")}`; status.className = "live live--on"; };
  source.onerror = () => { status.textContent = `○ ${t("reconnecting")}`; status.className = "live"; };
  source.onmessage = (msg) => {
    const events = JSON.parse(msg.data);
    for (const fn of [...listeners]) fn(events);
  };
  setInterval(tick, 1000);
}

function tick() {
  document.querySelectorAll("[data-due]").forEach(renderClock);
  document.querySelectorAll("[data-expires]").forEach((el) => {
    const left = (Date.parse(el.dataset.expires) - Date.now()) / 1000;
    el.textContent = `${t("expires_in")} ${duration(Math.max(0, left))}`;
  });
  document.querySelectorAll("[data-since]").forEach((el) => {
    el.textContent = duration((Date.now() - Date.parse(el.dataset.since)) / 1000);
  });
}

// Run `fn` at most once per `ms`, and once more after the last call (live refreshes).
export function throttle(fn, ms = 500) {
  let timer = null, again = false;
  return () => {
    if (timer) { again = true; return; }
    fn();
    timer = setTimeout(() => { timer = null; if (again) { again = false; fn(); } }, ms);
  };
}

// One EventSource for the page: events go to whoever listens; a 1-second ticker redraws
// countdowns (SLA clocks, offer expiry) without asking the server. After a reconnect every
// listener gets a "reconnected" event (what happened meanwhile is read again).
import { api } from "./api.js";
import { renderClock, t, duration } from "./ui.js";

const listeners = new Set();
export const onEvents = (fn) => { listeners.add(fn); return () => listeners.delete(fn); };
const emit = (events) => { for (const fn of [...listeners]) fn(events); };

export function connect() {
  const status = document.getElementById("live");
  const source = new EventSource("/api/v1/events");
  let lost = false;
  source.onopen = () => {
    status.textContent = `● ${t("live")}`;
    status.className = "live live--on";
    if (lost) emit([{ type: "reconnected" }]);
    lost = false;
  };
  source.onerror = () => {
    status.textContent = `○ ${t("reconnecting")}`;
    status.className = "live";
    lost = true;
    api("/me").catch(() => {});  // signed out: api() goes to /login
  };
  source.addEventListener("signed_out", () => window.location.assign("/login"));
  source.onmessage = (msg) => emit(JSON.parse(msg.data));
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

// Run `fn` at most once per `ms`, never two at a time (an older answer landing last would stay
// on screen), and once more after the last call (live refreshes). `fn` handles its own errors.
export function throttle(fn, ms = 500) {
  let busy = false, again = false;
  const run = async () => {
    busy = true;
    try { await fn(); } finally {
      await new Promise((resolve) => setTimeout(resolve, ms));
      busy = false;
      if (again) { again = false; run(); }
    }
  };
  return () => { if (busy) again = true; else run(); };
}

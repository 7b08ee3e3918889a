// The dashboards' entry: who is signed in, the navigation, presence with heartbeat, the offer
// tray (on every view), the live stream, keyboard shortcuts, and a tiny hash router
// (#/work, #/ticket/7, #/board, #/admin).
import { api } from "./api.js";
import { h, t, loadWords, toast } from "./ui.js";
import { connect, onEvents } from "./live.js";
import { workView, ticketView, firstOffer, offerTray } from "./agent.js";
import { boardView } from "./board.js";
import { adminView } from "./admin.js";

const HEARTBEAT_MS = 20000; // the server's TTL is 60 s (the open live stream also counts)
const RANK = { agent: 0, supervisor: 1, admin: 2 };
export const session = { me: null, stop: null };

async function main() {
  session.me = await api("/me");
  await loadWords(document.documentElement.lang || "en");
  document.getElementById("signout").textContent = t("sign_out");
  document.querySelector(".skip").textContent = t("skip");
  nav();
  await presence();
  connect();
  if (session.me.queue_ids?.length) offerTray(document.getElementById("offers"));  // works queues
  setInterval(() => api("/me/heartbeat", { method: "POST" }).catch(() => {}), HEARTBEAT_MS);
  window.addEventListener("hashchange", route);
  document.addEventListener("keydown", keys);
  await route();
}

export const atLeast = (role) => RANK[session.me.role] >= RANK[role];

function nav() {
  const links = [["#/work", "nav_queue"]];
  if (atLeast("supervisor")) links.push(["#/board", "nav_board"]);
  if (atLeast("admin")) links.push(["#/admin", "nav_admin"]);
  const lang = h("select", { "aria-label": t("language"), onchange: async (e) => {
    await api("/me", { method: "PATCH", body: { language: e.target.value } });
    window.location.reload();
  } }, h("option", { value: "en" }, "English"), h("option", { value: "de" }, "Deutsch"));
  lang.value = document.documentElement.lang;
  document.getElementById("nav").replaceChildren(
    ...links.map(([href, key]) => h("a", { href, dataset: { nav: href } }, t(key))), lang);
}

async function presence() {
  const box = document.getElementById("presence");
  const current = await api("/me/presence");
  const shown = (status) => (status === "busy" ? "available" : status);
  let value = shown(current.status);
  const select = h("select", { id: "presence-select", "aria-label": t("presence"),
    onchange: async (e) => {
      try {
        await api("/me/presence", { method: "PUT", body: { status: e.target.value } });
        value = e.target.value;
      } catch (err) { toast(err.message); e.target.value = value; }  // back to what is true
    } },
    ...["available", "away", "offline"].map((s) => h("option", { value: s }, t(s))));
  select.value = value;
  box.replaceChildren(h("label", { for: "presence-select", class: "sr-only" }, t("presence")), select);
  onEvents((events) => {  // the worker sets agents away (missed offer) or offline (no heartbeat)
    for (const e of events) {
      if (e.type === "presence.changed" && e.user_id === session.me.id && e.to) {
        value = shown(e.to);
        select.value = value;
        if (e.reason) toast(`${t("presence")}: ${t(e.to)}`);
      }
    }
  });
}

let generation = 0;
async function route() {
  const mine = ++generation;  // a newer navigation wins; a slower older one is stopped at once
  session.stop?.();
  session.stop = null;
  const main = document.getElementById("main");
  const hash = window.location.hash || "#/work";
  document.querySelectorAll("[data-nav]").forEach((a) => {
    if (hash.startsWith(a.dataset.nav)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  main.replaceChildren(h("p", { class: "muted" }, t("loading")));
  let stop = null;
  try {
    const ticket = hash.match(/^#\/ticket\/(\d+)/);
    if (ticket) stop = await ticketView(main, Number(ticket[1]));
    else if (hash.startsWith("#/board") && atLeast("supervisor")) stop = await boardView(main);
    else if (hash.startsWith("#/admin") && atLeast("admin")) stop = await adminView(main);
    else stop = await workView(main);
  } catch (err) {
    if (mine !== generation) return;
    main.replaceChildren(h("p", { class: "error", role: "alert" },
      err.status === 403 ? `${t("forbidden")} (${err.message})` : `${t("error")}: ${err.message}`));
  }
  if (mine !== generation) { stop?.(); return; }
  session.stop = stop;
  // screen readers follow the new view, unless the user already went into it (a click in
  // the reply box while the view was still loading keeps its focus)
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

let pendingG = false;
async function keys(e) {
  if (e.target.closest("input, textarea, select, [contenteditable]") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (pendingG) {
    pendingG = false;
    if (e.key === "q") window.location.hash = "#/work";
    if (e.key === "b" && atLeast("supervisor")) window.location.hash = "#/board";
    return;
  }
  const offer = firstOffer();
  if (e.key === "g") pendingG = true;
  else if (e.key === "a" && offer) { e.preventDefault(); offer.querySelector("[data-accept]").click(); }
  else if (e.key === "d" && offer) { e.preventDefault(); offer.querySelector("[data-decline]").click(); }
  else if (e.key === "r") { e.preventDefault(); document.getElementById("reply-text")?.focus(); }
  else if (e.key === "n") { e.preventDefault(); document.getElementById("note-text")?.focus(); }
  else if (e.key === "?") toast(t("keyboard_help"));
}

main().catch((err) => {
  document.getElementById("main").replaceChildren(h("p", { class: "error", role: "alert" }, err.message));
});

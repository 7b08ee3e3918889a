// The dashboards' entry: who is signed in, the navigation, presence with heartbeat, the live
// stream, keyboard shortcuts, and a tiny hash router (#/work, #/ticket/7, #/board, #/admin).
import { api } from "./api.js";
import { h, t, loadWords, toast } from "./ui.js";
import { connect } from "./live.js";
import { workView, ticketView, firstOffer } from "./agent.js";
import { boardView } from "./board.js";
import { adminView } from "./admin.js";

const HEARTBEAT_MS = 20000; // the server's TTL is 60 s: two missed beats are tolerated
const RANK = { agent: 0, supervisor: 1, admin: 2 };
export const session = { me: null, stop: null };

async function main() {
  session.me = await api("/me");
  await loadWords(document.documentElement.lang || "en");
  document.getElementById("signout").textContent = t("sign_out");
  nav();
  await presence();
  connect();
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
  const select = h("select", { id: "presence-select", "aria-label": t("presence"),
    onchange: async (e) => {
      try {
        await api("/me/presence", { method: "PUT", body: { status: e.target.value } });
      } catch (err) { toast(err.message); }
    } },
    ...["available", "away", "offline"].map((s) => h("option", { value: s }, t(s))));
  select.value = current.status === "busy" ? "available" : current.status;
  box.replaceChildren(h("label", { for: "presence-select", class: "sr-only" }, t("presence")), select);
}

async function route() {
  session.stop?.();
  session.stop = null;
  const main = document.getElementById("main");
  const hash = window.location.hash || "#/work";
  document.querySelectorAll("[data-nav]").forEach((a) => {
    if (hash.startsWith(a.dataset.nav)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  main.replaceChildren(h("p", { class: "muted" }, t("loading")));
  try {
    const ticket = hash.match(/^#\/ticket\/(\d+)/);
    if (ticket) session.stop = await ticketView(main, Number(ticket[1]));
    else if (hash.startsWith("#/board") && atLeast("supervisor")) session.stop = await boardView(main);
    else if (hash.startsWith("#/admin") && atLeast("admin")) session.stop = await adminView(main);
    else session.stop = await workView(main);
  } catch (err) {
    main.replaceChildren(h("p", { class: "error", role: "alert" },
      err.status === 403 ? `${t("forbidden")} (${err.message})` : `${t("error")}: ${err.message}`));
  }
}

let pendingG = false;
async function keys(e) {
  if (e.target.closest("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
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

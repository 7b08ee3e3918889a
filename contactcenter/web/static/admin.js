// Admin pages: channel accounts with their webhook URLs and a connection check, queues, SLA
// policies and each agent's shifts (read here; changed through the API or `config/`).
import { api } from "./api.js";
import { h, t, toast, when } from "./ui.js";

export async function adminView(main) {
  const [accounts, queues, policies, agents] = await Promise.all([
    api("/channel-accounts?limit=200"), api("/queues?limit=200"), api("/sla-policies?limit=200"),
    api("/agents"),
  ]);
  const shifts = h("div", {});
  main.replaceChildren(h("div", { class: "admin" },
    h("section", { class: "panel wide", "aria-labelledby": "ca-h" },
      h("h2", { id: "ca-h" }, t("channel_accounts")),
      h("table", {}, h("thead", {}, h("tr", {}, [t("name"), t("channel"), t("webhook_url"), ""]
        .map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, accounts.items.map(accountRow)))),
    h("section", { class: "panel", "aria-labelledby": "qu-h" }, h("h2", { id: "qu-h" }, t("queues")),
      h("ul", { class: "plain" }, queues.items.map((q) => h("li", {}, h("strong", {}, q.name),
        ` · ${q.strategy} · SL ${Math.round(q.sl_target * 100)}% / ${q.sl_threshold_s ?? "—"}s`)))),
    h("section", { class: "panel", "aria-labelledby": "sp-h" }, h("h2", { id: "sp-h" }, t("sla_policies")),
      h("ul", { class: "plain" }, policies.items.map((p) => h("li", {}, h("strong", {}, p.name),
        ` · ${typeof p.calendar === "string" ? p.calendar : p.calendar.timezone ?? ""}`,
        ` · ${Object.entries(p.targets).map(([prio, x]) => `${prio}: ${Math.round(x.first_response_s / 60)} min`).join(", ")}`,
        editor(`policy-${p.id}`, { targets: p.targets, warn_at: p.warn_at, pause_on: p.pause_on },
          (body) => api(`/sla-policies/${p.id}`, { method: "PATCH", body })))))),
    h("section", { class: "panel", "aria-labelledby": "sh-h" }, h("h2", { id: "sh-h" }, t("shifts")),
      h("select", { "aria-label": t("agents"), onchange: (e) => drawShifts(shifts, e.target.value) },
        h("option", { value: "" }, "—"), ...agents.items.map((a) => h("option", { value: a.id }, a.name))),
      shifts)));
}

function accountRow(a) {
  const result = h("span", { class: "muted", "aria-live": "polite" });
  const check = async () => {
    result.textContent = t("loading");
    try {
      const r = await api(`/channel-accounts/${a.id}/check`, { method: "POST" });
      const parts = [r.ok ? "✓" : "✗"];
      if (r.missing_credentials.length) parts.push(`missing: ${r.missing_credentials.join(", ")}`);
      if (r.platform.detail) parts.push(r.platform.detail);
      parts.push(r.last_inbound_at ? `last message ${when(r.last_inbound_at)}` : "no open conversation");
      result.textContent = parts.join(" · ");
      result.className = r.ok ? "ok" : "error";
    } catch (err) { toast(err.message); result.textContent = ""; }
  };
  return h("tr", {}, h("th", { scope: "row" }, a.name), h("td", {}, h("span", { class: "chip" }, a.channel)),
    h("td", {}, h("code", {}, a.webhook_url)),
    h("td", {}, h("button", { onclick: check }, t("check")), " ", result));
}

async function drawShifts(box, userId) {
  if (!userId) { box.replaceChildren(); return; }
  const data = await api(`/users/${userId}/shifts`);
  const plan = data.plan ?? { timezone: "UTC", weekly: [] };
  box.replaceChildren(h("p", {}, plan.timezone ?? "—"),
    h("ul", { class: "plain" }, (plan.weekly ?? []).map((w) => h("li", {}, `${w.days.join(", ")}: ${w.start}–${w.end}`))),
    editor(`shifts-${userId}`, plan, async (body) => {
      await api(`/users/${userId}/shifts`, { method: "PUT", body });
      await drawShifts(box, userId);
    }),
    h("h3", {}, t("upcoming")),
    h("ul", { class: "plain" }, data.upcoming.slice(0, 7).map((i) => h("li", {}, `${when(i.starts_at)} – ${when(i.ends_at)}`))));
}

// Edit a resource as JSON: the API checks it and says what is wrong (shown as it says it).
function editor(id, value, save) {
  const text = h("textarea", { id, rows: 6, spellcheck: "false", class: "json" });
  text.value = JSON.stringify(value, null, 2);
  const result = h("span", { role: "status" });
  const submit = async (e) => {
    e.preventDefault();
    let body;
    try { body = JSON.parse(text.value); } catch (err) { result.textContent = `JSON: ${err.message}`; result.className = "error"; return; }
    try {
      await save(body);
      result.textContent = "✓";
      result.className = "ok";
    } catch (err) { result.textContent = err.message; result.className = "error"; }
  };
  return h("details", {}, h("summary", {}, t("edit")),
    h("form", { onsubmit: submit, class: "editor" }, h("label", { for: id, class: "sr-only" }, t("edit")), text,
      h("button", { type: "submit" }, t("save")), " ", result));
}

// Admin pages: channel accounts with their webhook URLs and a connection check, queues and SLA
// policies (settings.js), and each agent's shifts (shifts.js).
import { api } from "./api.js";
import { policyForm, queueForm, summary } from "./settings.js";
import { drawShifts, hoursForm } from "./shifts.js";
import { h, t, toast, when } from "./ui.js";

export async function adminView(main) {
  const [accounts, queues, policies, agents, teams] = await Promise.all([
    api("/channel-accounts?limit=200"), api("/queues?limit=200"), api("/sla-policies?limit=200"),
    api("/agents"), api("/teams?limit=200"),
  ]);
  const shifts = h("div", {});
  // After a save only that form and the item's line are drawn again, from the server's answer
  // (every other open form keeps what is typed in it); the saved form stays open with the
  // saved values as its baseline.
  const queueItem = (q) => {
    const describe = (x) => [h("strong", {}, x.name),
      ` · ${t(x.strategy)} · SL ${Math.round(x.sl_target * 100)}% / ${x.sl_threshold_s ?? "—"}s`,
      ` · ${x.hours ? `${t("opening_hours")}: ${x.hours.timezone}` : t("always_open")}`];
    const head = h("span", {}, describe(q));
    const forms = {
      settings: (x, open) => summary(t("edit"),
        queueForm(x, policies.items, teams.items, () => redraw("settings")), open),
      hours: (x, open) => summary(t("opening_hours"), hoursForm(x, () => redraw("hours")), open),
    };
    const shown = { settings: forms.settings(q, false), hours: forms.hours(q, false) };
    const redraw = async (which) => {
      const fresh = await api(`/queues/${q.id}`);
      head.replaceChildren(...describe(fresh));
      const form = forms[which](fresh, true);
      shown[which].replaceWith(form);
      shown[which] = form;
    };
    return h("li", { "data-queue": q.id }, head, shown.settings, shown.hours);
  };
  const policyItem = (p, open = false) => {
    const li = h("li", { "data-policy": p.id }, h("strong", {}, p.name),
      ` · ${typeof p.calendar === "string" ? p.calendar : p.calendar.timezone ?? ""}`,
      ` · ${Object.entries(p.targets).map(([prio, x]) => `${t(prio)}: ${x.first_response_s ? Math.round(x.first_response_s / 60) : "—"} min`).join(", ")}`,
      summary(t("edit"), policyForm(p,
        async () => li.replaceWith(policyItem(await api(`/sla-policies/${p.id}`), true))), open));
    return li;
  };
  main.replaceChildren(h("div", { class: "admin" },
    h("section", { class: "panel wide", "aria-labelledby": "ca-h" },
      h("h2", { id: "ca-h" }, t("channel_accounts")),
      h("table", {}, h("thead", {}, h("tr", {}, [t("name"), t("channel"), t("webhook_url"), ""]
        .map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, accounts.items.map(accountRow))),
      newAccount(queues.items)),
    h("section", { class: "panel", "aria-labelledby": "qu-h" }, h("h2", { id: "qu-h" }, t("queues")),
      h("ul", { class: "plain" }, queues.items.map((q) => queueItem(q)))),
    h("section", { class: "panel", "aria-labelledby": "sp-h" }, h("h2", { id: "sp-h" }, t("sla_policies")),
      h("ul", { class: "plain" }, policies.items.map((p) => policyItem(p)))),
    h("section", { class: "panel", "aria-labelledby": "sh-h" }, h("h2", { id: "sh-h" }, t("shifts")),
      h("select", { "aria-label": t("agents"), onchange: (e) => drawShifts(shifts, e.target.value) },
        h("option", { value: "" }, "—"), ...agents.items.map((a) => h("option", { value: a.id }, a.name))),
      shifts)));
}

// Connect a channel: its credentials as JSON (each channel's names are in the README); the API
// says which are missing, then the new row shows the webhook URL to register.
function newAccount(queues) {
  const channel = h("input", { id: "na-channel", placeholder: "whatsapp", required: true, size: 14 });
  const name = h("input", { id: "na-name", required: true });
  const queue = h("select", { id: "na-queue" }, ...queues.map((q) => h("option", { value: q.id }, q.name)));
  const creds = h("textarea", { id: "na-creds", rows: 3, class: "json", spellcheck: "false" });
  creds.value = "{}";
  const result = h("span", { role: "status" });
  const submit = async (e) => {
    e.preventDefault();
    let credentials;
    try { credentials = JSON.parse(creds.value); } catch (err) { result.textContent = `JSON: ${err.message}`; result.className = "error"; return; }
    const brand = queues.find((q) => q.id === queue.value)?.brand_id;
    try {
      const made = await api("/channel-accounts", { method: "POST", body: {
        brand_id: brand, channel: channel.value.trim(), name: name.value, queue_id: queue.value, credentials } });
      result.textContent = `✓ ${t("webhook_url")}: ${made.webhook_url}`;
      result.className = "ok";
    } catch (err) { result.textContent = err.message; result.className = "error"; }
  };
  return h("details", {}, h("summary", {}, t("create_account")),
    h("form", { class: "editor", onsubmit: submit },
      h("label", { for: "na-channel" }, t("channel")), channel,
      h("label", { for: "na-name" }, t("name")), name,
      h("label", { for: "na-queue" }, t("queue")), queue,
      h("label", { for: "na-creds" }, t("credentials")), creds,
      h("button", { type: "submit" }, t("create")), result));
}

function accountRow(a) {
  const result = h("span", { class: "muted", "aria-live": "polite" });
  const check = async () => {
    result.textContent = t("loading");
    try {
      const r = await api(`/channel-accounts/${a.id}/check`, { method: "POST" });
      const parts = [r.ok ? "✓" : "✗"];
      if (r.missing_credentials.length) parts.push(`${t("missing")}: ${r.missing_credentials.join(", ")}`);
      if (r.platform.detail) parts.push(r.platform.detail);
      parts.push(r.last_inbound_at ? `${t("last_message")} ${when(r.last_inbound_at)}` : t("no_open_conversation"));
      result.textContent = parts.join(" · ");
      result.className = r.ok ? "ok" : "error";
    } catch (err) { toast(err.message); result.textContent = ""; }
  };
  return h("tr", {}, h("th", { scope: "row" }, a.name), h("td", {}, h("span", { class: "chip" }, a.channel)),
    h("td", {}, h("code", {}, a.webhook_url)),
    h("td", {}, h("button", { onclick: check }, t("check")), " ", result));
}

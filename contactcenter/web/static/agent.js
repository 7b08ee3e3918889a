// The agent's views: "My work" (offers with countdown, my tickets by SLA urgency, my queues'
// waiting lists) and one ticket (conversation, contact history, reply box, notes, fields).
import { api } from "./api.js";
import { h, t, clock, duration, toast, when } from "./ui.js";
import { onEvents, throttle } from "./live.js";
import { session } from "./app.js";

// Characters a platform takes in one message (CHANNELS.md, each send API).
const LIMITS = { whatsapp: 4096, telegram: 4096, messenger: 2000, instagram: 1000,
  "twilio-sms": 1600, x: 10000, line: 5000, viber: 7000, slack: 40000, youtube: 10000,
  linkedin: 1250, facebook: 8000, "google-reviews": 4096, flickr: 4096, webchat: 4096, api: 4096 };
const DAY = 86400;

export function firstOffer() {
  return document.querySelector("[data-offer]");
}

export async function workView(main) {
  const offers = h("section", { "aria-labelledby": "offers-h", class: "panel" });
  const mine = h("section", { "aria-labelledby": "mine-h", class: "panel" });
  const queues = h("section", { "aria-labelledby": "queues-h", class: "panel" });
  main.replaceChildren(h("div", { class: "work" }, offers, mine, queues));
  const reload = throttle(() => Promise.all([
    drawOffers(offers), drawMine(mine), drawQueues(queues),
  ]).catch((err) => toast(err.message)), 400);
  reload();
  return onEvents(reload);
}

async function drawOffers(box) {
  const { items } = await api("/me/offers");
  const rows = await Promise.all(items.map(async (o) => {
    const ticket = await api(`/tickets/${o.ticket_id}`).catch(() => null);
    return h("li", { class: "offer", dataset: { offer: o.id } },
      h("div", {},
        h("strong", {}, ticket ? ticket.contact.name || `#${o.ticket_id}` : `#${o.ticket_id}`),
        " ", h("span", { class: "chip" }, ticket?.channel ?? ""),
        " ", h("span", { class: "countdown", dataset: { expires: o.expires_at } })),
      h("div", { class: "actions" },
        h("button", { class: "primary", dataset: { accept: "" }, onclick: () => accept(o) },
          `${t("accept")} (a)`),
        h("button", { dataset: { decline: "" }, onclick: () => decline(o) }, `${t("decline")} (d)`)));
  }));
  box.replaceChildren(h("h2", { id: "offers-h" }, t("offers")),
    rows.length ? h("ul", { class: "list" }, rows) : h("p", { class: "muted" }, t("no_offers")));
}

async function accept(offer) {
  try {
    const done = await api(`/offers/${offer.id}/accept`, { method: "POST" });
    window.location.hash = `#/ticket/${done.ticket_id}`;
  } catch (err) { toast(err.message); }
}

async function decline(offer) {
  try { await api(`/offers/${offer.id}/decline`, { method: "POST" }); }
  catch (err) { toast(err.message); }
}

function ticketRow(ticket) {
  const clocks = Object.entries(ticket.sla ?? {}).filter(([, c]) => c.state !== "met" && c.state !== "stopped");
  return h("tr", {},
    h("td", {}, h("a", { href: `#/ticket/${ticket.id}` }, `#${ticket.id}`)),
    h("td", {}, ticket.contact.name || "—"),
    h("td", {}, h("span", { class: "chip" }, ticket.channel)),
    h("td", {}, t(ticket.status)),
    h("td", {}, ticket.priority),
    h("td", {}, clocks.map(([name, c]) => clock(name, c))));
}

function table(rows, empty) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("table", {}, h("thead", {}, h("tr", {},
    ["#", t("contact"), t("channel"), t("status"), t("priority"), "SLA"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows));
}

async function drawMine(box) {
  const { items } = await api("/me/tickets");
  box.replaceChildren(h("h2", { id: "mine-h" }, t("my_tickets")),
    table(items.map(ticketRow), t("no_tickets")));
}

async function drawQueues(box) {
  const ids = session.me.queue_ids ?? [];
  const parts = await Promise.all(ids.map(async (id) => {
    const [queue, waiting] = await Promise.all([api(`/queues/${id}`), api(`/queues/${id}/waiting?limit=20`)]);
    return h("div", {}, h("h3", {}, `${queue.name} · ${t("waiting")}: ${waiting.items.length}`),
      table(waiting.items.map(ticketRow), t("no_waiting")));
  }).map((p) => p.catch(() => null)));
  box.replaceChildren(h("h2", { id: "queues-h" }, t("queue")), ...parts.filter(Boolean));
}

// ---- one ticket ----------------------------------------------------------------------------

export async function ticketView(main, id) {
  const ticket = await api(`/tickets/${id}`);
  const thread = h("ol", { class: "thread", "aria-label": t("history") });
  const side = h("aside", { class: "side" });
  const header = h("header", { class: "ticket-head" });
  main.replaceChildren(h("div", { class: "ticket" }, header,
    h("div", { class: "ticket-body" }, h("div", { class: "conversation" }, thread, composer(ticket)), side)));
  const draw = async () => {
    const fresh = await api(`/tickets/${id}`);
    drawHeader(header, fresh);
    await drawThread(thread, id);
  };
  await Promise.all([draw(), drawSide(side, ticket)]);
  const reload = throttle(() => draw().catch((err) => toast(err.message)), 300);
  return onEvents((events) => { if (events.some((e) => e.ticket_id === id)) reload(); });
}

function drawHeader(box, ticket) {
  const status = h("select", { id: "f-status", "aria-label": t("status") },
    ...["new", "open", "pending", "solved", "closed"].map((s) => h("option", { value: s }, t(s))));
  status.value = ticket.status;
  const priority = h("select", { id: "f-priority", "aria-label": t("priority") },
    ...["low", "normal", "high", "urgent"].map((p) => h("option", { value: p }, p)));
  priority.value = ticket.priority;
  const tags = h("input", { id: "f-tags", value: ticket.tags.join(", "), "aria-label": t("tags") });
  const save = async (e) => {
    e.preventDefault();
    try {
      await api(`/tickets/${ticket.id}`, { method: "PATCH", body: {
        status: status.value, priority: priority.value,
        tags: tags.value.split(",").map((x) => x.trim()).filter(Boolean) } });
      toast(t("save"));
    } catch (err) { toast(err.message); }
  };
  box.replaceChildren(
    h("h1", {}, `${t("ticket")} #${ticket.id} · ${ticket.contact.name || "—"}`, " ",
      h("span", { class: "chip" }, ticket.channel)),
    h("div", { class: "clocks" }, Object.entries(ticket.sla ?? {}).map(([n, c]) => clock(n, c))),
    h("form", { class: "fields", onsubmit: save },
      h("label", { for: "f-status" }, t("status")), status,
      h("label", { for: "f-priority" }, t("priority")), priority,
      h("label", { for: "f-tags" }, t("tags")), tags,
      h("button", { type: "submit" }, t("save"))));
}

async function drawThread(list, id) {
  let items = [], cursor = null;
  do {  // oldest first, in the platform's order (invariant 6)
    const page = await api(`/tickets/${id}/messages?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
    items = items.concat(page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 2000);
  list.replaceChildren(...items.map((m) => h("li", { class: `msg msg--${m.direction}` },
    h("div", { class: "meta" }, m.sender?.name || t(m.direction === "inbound" ? "customer" : "agent"),
      " · ", h("time", { datetime: m.sent_at }, when(m.sent_at)),
      m.direction === "outbound" && m.delivery_status
        ? h("span", { class: `status status--${m.delivery_status}`, title: m.delivery_error ?? "" },
          ` · ${t(m.delivery_status)}`) : null),
    m.direction === "note" ? h("div", { class: "note-label" }, t("note")) : null,
    h("div", { class: "text" }, m.text ?? ""),
    m.delivery_error ? h("div", { class: "error" }, m.delivery_error) : null,
    m.attachments?.length ? h("ul", { class: "files", "aria-label": t("attachments") },
      m.attachments.map((a) => h("li", {}, a.url
        ? h("a", { href: a.url, target: "_blank", rel: "noopener" }, a.name || a.kind)
        : `${a.name || a.kind} …`))) : null)));
  list.lastElementChild?.scrollIntoView({ block: "end" });
}

// The reply box knows the channel: its length limit and its reply window.
export function windowRule(ticket, now = Date.now()) {
  const since = ticket.last_inbound_at ? (now - Date.parse(ticket.last_inbound_at)) / 1000 : 0;
  if (ticket.channel === "whatsapp" && since > DAY) return "closed_template";
  if (["messenger", "instagram"].includes(ticket.channel)) {
    if (since > 7 * DAY) return "closed";
    if (since > DAY) return "human_agent";
  }
  return "open";
}

function composer(ticket) {
  const limit = LIMITS[ticket.channel] ?? 100000;
  const rule = windowRule(ticket);
  const text = h("textarea", { id: "reply-text", rows: 3, maxlength: limit, "aria-describedby": "reply-hint" });
  const left = h("span", { id: "reply-hint", class: "muted" });
  const count = () => { left.textContent = `${limit - text.value.length} ${t("chars_left")}`; };
  text.addEventListener("input", count);
  count();
  const template = h("input", { id: "reply-template", "aria-label": t("template_name"), placeholder: t("template_name") });
  const notice = rule === "closed_template" ? h("p", { class: "warn", role: "note" }, t("window_closed"))
    : rule === "human_agent" ? h("p", { class: "muted", role: "note" }, t("window_human_agent"))
    : rule === "closed" ? h("p", { class: "warn", role: "note" }, t("window_closed")) : null;
  const send = async (e) => {
    e.preventDefault();
    const body = { text: text.value };
    if (rule === "closed_template" && template.value) {
      body.template = { name: template.value, language: { code: document.documentElement.lang } };
    }
    try {
      await api(`/tickets/${ticket.id}/messages`, { method: "POST", body });
      text.value = "";
      count();
    } catch (err) { toast(err.message); }
  };
  const note = h("textarea", { id: "note-text", rows: 2, "aria-label": t("note") });
  const addNote = async (e) => {
    e.preventDefault();
    try {
      await api(`/tickets/${ticket.id}/notes`, { method: "POST", body: { text: note.value } });
      note.value = "";
    } catch (err) { toast(err.message); }
  };
  return h("div", { class: "compose" },
    notice,
    h("form", { onsubmit: send, class: "reply" },
      h("label", { for: "reply-text" }, `${t("reply")} (r)`), text, left,
      rule === "closed_template" ? template : null,
      h("button", { class: "primary", type: "submit", disabled: rule === "closed" }, t("send"))),
    h("form", { onsubmit: addNote, class: "note" },
      h("label", { for: "note-text" }, `${t("note")} (n)`), note,
      h("button", { type: "submit" }, t("add_note"))));
}

async function drawSide(box, ticket) {
  const contact = await api(`/contacts/${ticket.contact.id}`).catch(() => null);
  if (!contact) { box.replaceChildren(); return; }
  box.replaceChildren(
    h("h2", {}, t("contact")),
    h("p", {}, h("strong", {}, contact.name || "—")),
    h("ul", { class: "plain" }, contact.identities.map((i) => h("li", {},
      h("span", { class: "chip" }, i.channel), " ", i.display_name || i.username || i.external_id))),
    h("h2", {}, t("history")),
    h("ul", { class: "plain" }, contact.tickets.map((x) => h("li", {},
      x.id === ticket.id ? h("strong", {}, `#${x.id}`) : h("a", { href: `#/ticket/${x.id}` }, `#${x.id}`),
      ` · ${x.channel} · ${t(x.status)} · ${when(x.created_at)}`))));
}

export { duration };

// The agent's views: the offer tray (shown on every view), "My work" (my tickets by SLA
// urgency, my queues' waiting lists) and one ticket (conversation, contact history, reply box,
// notes, fields).
import { api } from "./api.js";
import { h, t, clock, panel, toast, when } from "./ui.js";
import { onEvents, throttle } from "./live.js";
import { session } from "./app.js";

// Characters one message takes: the platform's limit (CHANNELS.md), at most our API's 4,096.
const LIMITS = { messenger: 2000, instagram: 1000, "twilio-sms": 1600, linkedin: 1250 };
const API_LIMIT = 4096;
const PUBLIC = ["post:", "comment:", "thread:", "mention:", "photo:", "review:"];
const DAY = 86400;
// Events that can change "My work" for tickets not on screen yet (others only redraw when
// they name a ticket shown).
const NEW_WORK = ["reconnected", "ticket.created", "ticket.reopened", "ticket.assigned",
  "ticket.transferred", "ticket.requeued", "offer.accepted"];

export function firstOffer() {
  return document.querySelector("[data-offer]");
}

// ---- offers: a tray above every view --------------------------------------------------------

export function offerTray(box) {
  const reload = throttle(() => drawOffers(box).catch((err) => toast(err.message)), 300);
  reload();
  onEvents((events) => {
    if (events.some((e) => e.type.startsWith("offer.") || e.type === "presence.changed"
        || e.type === "reconnected")) reload();
  });
  box.addEventListener("offer-gone", reload);
}

async function drawOffers(box) {
  const { items } = await api("/me/offers");
  const rows = await Promise.all(items.map(async (o) => {
    const ticket = await api(`/tickets/${o.ticket_id}`).catch(() => null);
    return h("li", { class: "offer", dataset: { offer: o.id } },
      h("div", {},
        h("strong", {}, ticket?.contact.name || `#${o.ticket_id}`),
        " ", h("span", { class: "chip" }, ticket?.channel ?? ""),
        " ", h("span", { class: "countdown", dataset: { expires: o.expires_at } })),
      h("div", { class: "actions" },
        h("button", { class: "primary", dataset: { accept: "" }, onclick: () => accept(o) },
          `${t("accept")} (a)`),
        h("button", { dataset: { decline: "" }, onclick: () => decline(box, o) },
          `${t("decline")} (d)`)));
  }));
  box.hidden = false;
  box.replaceChildren(h("h2", { id: "offers-h" }, t("offers")),
    rows.length ? h("ul", { class: "list" }, rows) : h("p", { class: "muted" }, t("no_offers")));
}

async function accept(offer) {
  try {
    const done = await api(`/offers/${offer.id}/accept`, { method: "POST" });
    document.getElementById("offers").dispatchEvent(new Event("offer-gone"));
    window.location.hash = `#/ticket/${done.ticket_id}`;
  } catch (err) { toast(err.message); }
}

async function decline(box, offer) {
  try { await api(`/offers/${offer.id}/decline`, { method: "POST" }); }
  catch (err) { toast(err.message); }
  box.dispatchEvent(new Event("offer-gone"));
}

// ---- my work ---------------------------------------------------------------------------------

export async function workView(main) {
  const mine = panel("mine-h", t("my_tickets"));
  const queues = panel("queues-h", t("queue"));
  main.replaceChildren(h("div", { class: "work" }, mine.section, queues.section));
  const shown = new Set();  // ticket ids on screen: their events redraw
  const reload = throttle(() => Promise.all([drawMine(mine, shown), drawQueues(queues, shown)])
    .catch((err) => toast(err.message)), 400);
  reload();
  return onEvents((events) => {
    if (events.some((e) => shown.has(e.ticket_id) || NEW_WORK.includes(e.type))) reload();
  });
}

function ticketRow(ticket) {
  const clocks = Object.entries(ticket.sla ?? {}).filter(([, c]) => c.state !== "met" && c.state !== "stopped");
  return h("tr", { dataset: { ticket: ticket.id } },
    h("td", {}, h("a", { href: `#/ticket/${ticket.id}` }, `#${ticket.id}`)),
    h("td", {}, ticket.contact.name || "—"),
    h("td", {}, h("span", { class: "chip" }, ticket.channel)),
    h("td", {}, t(ticket.status)),
    h("td", {}, t(ticket.priority)),
    h("td", {}, clocks.map(([name, c]) => clock(name, c))));
}

function table(rows, empty) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("table", {}, h("thead", {}, h("tr", {},
    ["#", t("contact"), t("channel"), t("status"), t("priority"), "SLA"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows));
}

async function drawMine(box, shown) {
  const { items } = await api("/me/tickets");
  items.forEach((x) => shown.add(x.id));
  box.fill(table(items.map(ticketRow), t("no_tickets")));
}

async function drawQueues(box, shown) {
  const ids = session.me.queue_ids ?? [];
  const parts = await Promise.all(ids.map(async (id) => {
    const [queue, waiting] = await Promise.all([api(`/queues/${id}`), api(`/queues/${id}/waiting?limit=20`)]);
    waiting.items.forEach((x) => shown.add(x.id));
    return h("div", {}, h("h3", {}, `${queue.name} · ${t("waiting")}: ${waiting.items.length}`),
      table(waiting.items.map(ticketRow), t("no_waiting")));
  }).map((p) => p.catch(() => null)));
  box.fill(...parts.filter(Boolean));
}

// ---- one ticket ----------------------------------------------------------------------------

export async function ticketView(main, id) {
  const ticket = await api(`/tickets/${id}`);
  const thread = h("ol", { class: "thread", "aria-label": t("history") });
  const side = h("aside", { class: "side" });
  const header = h("header", { class: "ticket-head" });
  const compose = composer(ticket);
  let everywhere = false;  // this ticket, or the person's messages on every channel
  const toggle = (on) => h("button", { type: "button", "aria-pressed": String(everywhere === on),
    onclick: () => { everywhere = on; draw().catch((err) => toast(err.message)); } },
    t(on ? "all_channels" : "this_ticket"));
  const tabs = h("div", { class: "tabs", role: "group", "aria-label": t("history") });
  main.replaceChildren(h("div", { class: "ticket" }, header,
    h("div", { class: "ticket-body" },
      h("div", { class: "conversation" }, tabs, thread, compose.box), side)));
  let drawn = 0;  // the newest draw wins: a slower older one is dropped, not drawn over it
  const draw = async () => {
    const mine = ++drawn;
    const fresh = await api(`/tickets/${id}`);
    const items = everywhere ? await timelineItems(fresh) : await threadItems(id);
    if (mine !== drawn) return;
    drawHeader(header, fresh);
    compose.apply(fresh);  // the window may have opened again (the customer wrote)
    tabs.replaceChildren(toggle(false), toggle(true));
    thread.replaceChildren(...items);
    thread.lastElementChild?.scrollIntoView({ block: "end" });
  };
  await Promise.all([draw(), drawSide(side, ticket)]);
  const reload = throttle(() => draw().catch((err) => toast(err.message)), 300);
  return onEvents((events) => {
    if (events.some((e) => e.ticket_id === id || e.type === "reconnected")) reload();
  });
}

function drawHeader(box, ticket) {
  const clocks = h("div", { class: "clocks" }, Object.entries(ticket.sla ?? {}).map(([n, c]) => clock(n, c)));
  const form = box.querySelector("form.fields");
  if (form && (form.contains(document.activeElement) || form.dataset.dirty)) {
    box.querySelector(".clocks")?.replaceWith(clocks);  // keep what the agent is editing
    return;
  }
  const status = h("select", { id: "f-status", "aria-label": t("status") },
    ...["new", "open", "pending", "solved", "closed"].map((s) => h("option", { value: s }, t(s))));
  status.value = ticket.status;
  const priority = h("select", { id: "f-priority", "aria-label": t("priority") },
    ...["low", "normal", "high", "urgent"].map((p) => h("option", { value: p }, t(p))));
  priority.value = ticket.priority;
  const tags = h("input", { id: "f-tags", value: ticket.tags.join(", "), "aria-label": t("tags") });
  const fields = h("form", { class: "fields", oninput: () => { fields.dataset.dirty = "1"; },
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api(`/tickets/${ticket.id}`, { method: "PATCH", body: {
          status: status.value, priority: priority.value,
          tags: tags.value.split(",").map((x) => x.trim()).filter(Boolean) } });
        delete fields.dataset.dirty;
        toast(t("saved"));
      } catch (err) { toast(err.message); }
    } },
    h("label", { for: "f-status" }, t("status")), status,
    h("label", { for: "f-priority" }, t("priority")), priority,
    h("label", { for: "f-tags" }, t("tags")), tags,
    h("button", { type: "submit" }, t("save")));
  box.replaceChildren(
    h("h1", {}, `${t("ticket")} #${ticket.id} · ${ticket.contact.name || "—"}`, " ",
      h("span", { class: "chip" }, ticket.channel)),
    clocks, fields);
}

const safeHref = (url) => /^(https?:\/\/|\/)/i.test(url ?? "") ? url : null;  // never javascript:

async function threadItems(id) {
  let items = [], cursor = null;
  do {  // oldest first, in the platform's order (invariant 6)
    const page = await api(`/tickets/${id}/messages?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
    items = items.concat(page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 2000);
  return items.map((m) => h("li", { class: `msg msg--${m.direction}` },
    h("div", { class: "meta" }, m.sender?.name || t(m.direction === "inbound" ? "customer" : "agent"),
      " · ", h("time", { datetime: m.sent_at }, when(m.sent_at)),
      m.direction === "outbound" && m.delivery_status
        ? h("span", { class: `status status--${m.delivery_status}`, title: m.delivery_error ?? "" },
          ` · ${t(m.delivery_status)}`) : null),
    m.direction === "note" ? h("div", { class: "note-label" }, t("note")) : null,
    h("div", { class: "text" }, m.text ?? ""),
    m.delivery_error ? h("div", { class: "error" }, m.delivery_error) : null,
    m.attachments?.length ? h("ul", { class: "files", "aria-label": t("attachments") },
      m.attachments.map((a) => h("li", {}, safeHref(a.url)
        ? h("a", { href: safeHref(a.url), target: "_blank", rel: "noopener" }, a.name || a.kind)
        : `${a.name || a.kind} …`))) : null));
}

// The person's conversation on every channel, in order; this ticket's messages stand out.
async function timelineItems(ticket) {
  const { items } = await api(`/contacts/${ticket.contact.id}/messages?limit=100`);
  return items.map((m) => h("li", {
    class: `msg msg--${m.direction}${m.ticket_id === ticket.id ? "" : " msg--other"}` },
    h("div", { class: "meta" }, h("span", { class: "chip" }, m.channel), " ",
      m.ticket_id === ticket.id ? `#${m.ticket_id}` : h("a", { href: `#/ticket/${m.ticket_id}` }, `#${m.ticket_id}`),
      " · ", m.sender_name || t(m.direction === "inbound" ? "customer" : "agent"),
      " · ", h("time", { datetime: m.sent_at }, when(m.sent_at))),
    h("div", { class: "text" }, m.text ?? "")));
}

// The reply window as the server applies it (actions/outbound.py window_error): WhatsApp 24 h
// then templates only; Messenger and Instagram 24 h, then the HUMAN_AGENT tag for 7 days, then
// closed; public threads (comments, posts, mentions) have no window.
export function windowRule(ticket, now = Date.now()) {
  const conversation = ticket.platform_conversation_id ?? "";
  if (PUBLIC.some((p) => conversation.startsWith(p))) return "open";
  if (!["whatsapp", "messenger", "instagram"].includes(ticket.channel)) return "open";
  if (!ticket.last_inbound_at) return ticket.channel === "whatsapp" ? "closed_template" : "closed";
  const since = (now - Date.parse(ticket.last_inbound_at)) / 1000;
  if (ticket.channel === "whatsapp") return since > DAY ? "closed_template" : "open";
  if (since > 7 * DAY) return "closed";
  return since > DAY ? "human_agent" : "open";
}

export function charLimit(ticket) {
  if ((ticket.platform_conversation_id ?? "").startsWith("mention:")) return 280;  // a post on X
  return Math.min(LIMITS[ticket.channel] ?? API_LIMIT, API_LIMIT);
}

function composer(ticket) {
  const limit = charLimit(ticket);
  const text = h("textarea", { id: "reply-text", rows: 3, maxlength: limit, "aria-describedby": "reply-hint" });
  const left = h("span", { id: "reply-hint", class: "muted" });
  const count = () => { left.textContent = `${limit - text.value.length} ${t("chars_left")}`; };
  text.addEventListener("input", count);
  count();
  const template = h("input", { id: "reply-template", "aria-label": t("template_name"), placeholder: t("template_name") });
  const templateLang = h("input", { id: "reply-template-lang", "aria-label": t("template_language"),
    value: document.documentElement.lang, size: 5 });
  const notice = h("p", { role: "note" });
  const templateRow = h("div", { class: "template" }, template, templateLang);
  const sendButton = h("button", { class: "primary", type: "submit" }, t("send"));
  const files = fileInput("reply-files");
  let rule = "open";
  const apply = (fresh) => {
    rule = windowRule(fresh);
    notice.hidden = rule === "open";
    notice.className = rule === "human_agent" ? "muted" : "warn";
    notice.textContent = { closed_template: t("window_closed"), human_agent: t("window_human_agent"),
      closed: t("window_closed_messenger") }[rule] ?? "";
    templateRow.hidden = rule !== "closed_template";
    sendButton.disabled = rule === "closed";
    files.input.disabled = rule !== "open" && rule !== "human_agent";  // a template carries no file
  };
  apply(ticket);
  const send = async (e) => {
    e.preventDefault();
    let body = { text: text.value };
    if (files.input.files.length) {
      body = withFiles(text.value, files.input);
    } else if (rule === "closed_template" && template.value) {
      body.template = { name: template.value, language: { code: templateLang.value || "en" } };
    }
    try {
      await api(`/tickets/${ticket.id}/messages`, { method: "POST", body });
      text.value = "";
      files.clear();
      count();
    } catch (err) { toast(err.message); }
  };
  const note = h("textarea", { id: "note-text", rows: 2, "aria-label": t("note") });
  const noteFiles = fileInput("note-files");
  const addNote = async (e) => {
    e.preventDefault();
    const body = noteFiles.input.files.length ? withFiles(note.value, noteFiles.input) : { text: note.value };
    try {
      await api(`/tickets/${ticket.id}/notes`, { method: "POST", body });
      note.value = "";
      noteFiles.clear();
    } catch (err) { toast(err.message); }
  };
  const box = h("div", { class: "compose" },
    notice,
    h("form", { onsubmit: send, class: "reply" },
      h("label", { for: "reply-text" }, `${t("reply")} (r)`), text, left, templateRow, files.box, sendButton),
    h("form", { onsubmit: addNote, class: "note" },
      h("label", { for: "note-text" }, `${t("note")} (n)`), note, noteFiles.box,
      h("button", { type: "submit" }, t("add_note"))));
  return { box, apply };
}

// Files go with the text as multipart (api/uploads.py); the server says which a channel takes.
function fileInput(id) {
  const input = h("input", { id, type: "file", multiple: true });
  const chosen = h("span", { class: "muted", "aria-live": "polite" });
  input.addEventListener("change", () => {
    chosen.textContent = [...input.files].map((f) => f.name).join(", ");
  });
  const box = h("div", { class: "attach" }, h("label", { for: id }, t("attach")), input, chosen);
  return { box, input, clear: () => { input.value = ""; chosen.textContent = ""; } };
}

function withFiles(text, input) {
  const form = new FormData();
  if (text.trim()) form.append("text", text);
  for (const file of input.files) form.append("file", file, file.name);
  return form;
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

// The supervisor board: every queue's waiting count, longest wait, service level, ASA, at risk
// and breaches today; the at-risk tickets with a two-click reassign; agents by state with
// occupancy; the coverage heatmap for the next 14 days. All of it refreshes on live events.
import { api } from "./api.js";
import { h, t, clock, duration, panel, toast } from "./ui.js";
import { onEvents, throttle } from "./live.js";

const REFRESH_MS = 15000; // figures that move with time alone (waits, service level)

export async function boardView(main) {
  const queues = panel("q-h", t("queues"), "panel wide");
  const risk = panel("w-h", t("waiting"));
  const agents = panel("a-h", t("agents"));
  const coverage = panel("c-h", t("coverage"), "panel wide");
  main.replaceChildren(h("div", { class: "board" },
    queues.section, risk.section, agents.section, coverage.section));
  const state = { queueList: [], agentList: [], coverageQueue: null };
  const reload = throttle(() => Promise.all([
    drawQueues(queues, state), drawAgents(agents, state),
  ]).then(() => drawRisk(risk, state)).catch((err) => toast(err.message)), 1000);
  await Promise.all([drawQueues(queues, state), drawAgents(agents, state)]);
  await drawRisk(risk, state);
  await drawCoverage(coverage, state);
  const timer = setInterval(reload, REFRESH_MS);
  const off = onEvents(reload);
  return () => { clearInterval(timer); off(); };
}

const pct = (x) => (x === null || x === undefined ? "—" : `${Math.round(x * 100)}%`);
const secs = (x) => (x === null || x === undefined ? "—" : duration(x));

async function drawQueues(box, state) {
  const [queues, sla] = await Promise.all([api("/metrics/queues"), api("/metrics/sla")]);
  const breaches = Object.fromEntries(sla.items.map((i) => [i.key,
    Object.values(i.targets).reduce((n, x) => n + (x.breached ?? 0), 0)]));
  state.queueList = queues.items;
  const rows = queues.items.map((q) => h("tr", { dataset: { queue: q.key } },
    h("th", { scope: "row" }, q.name),
    h("td", { dataset: { cell: "waiting" } }, q.live.waiting),
    h("td", {}, q.live.longest_wait_s ? h("span", {
      dataset: { since: new Date(Date.now() - q.live.longest_wait_s * 1000).toISOString() } },
      duration(q.live.longest_wait_s)) : "—"),
    h("td", {}, pct(q.period.service_level)),
    h("td", {}, secs(q.period.asa_s)),
    h("td", { dataset: { cell: "at_risk" } }, q.sla_at_risk),
    h("td", {}, breaches[q.key] ?? 0),
    h("td", {}, `${q.agents_available}/${q.agents_eligible}`)));
  box.fill(h("table", {},
    h("thead", {}, h("tr", {}, [t("queue"), t("waiting"), t("longest_wait"), t("service_level"),
      t("asa"), t("at_risk"), t("breaches_today"), t("available")].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows)));
}

async function drawRisk(box, state) {
  if (box.section.contains(document.activeElement) && document.activeElement.tagName === "SELECT") {
    return;  // a reassign or transfer menu is open: redraw after the choice, not under it
  }
  const [risk, ...waiting] = await Promise.all([
    api("/tickets?sla=at_risk&status=new,open,pending&limit=20"),
    ...state.queueList.map((q) => api(`/queues/${q.key}/waiting?limit=10`)),
  ]);
  const options = state.agentList.filter((a) => a.state !== "offline");
  const row = (ticket) => {
    const pick = moveMenu(ticket, "reassign", "assign_to", "assign", "agent_id",
      options.map((a) => [a.id, `${a.name} (${t(a.state)})`]));
    const move = moveMenu(ticket, "transfer", "transfer_to", "transfer", "queue_id",
      state.queueList.filter((q) => q.key !== ticket.queue_id).map((q) => [q.key, q.name]));
    return h("tr", { dataset: { ticket: ticket.id } },
      h("td", {}, h("a", { href: `#/ticket/${ticket.id}` }, `#${ticket.id}`)),
      h("td", {}, ticket.contact.name || "—"),
      h("td", {}, Object.entries(ticket.sla).filter(([, c]) => !["met", "stopped"].includes(c.state))
        .map(([n, c]) => clock(n, c))),
      h("td", { class: "row-actions" }, pick, move));
  };
  const list = (items) => items.length ? h("table", {}, h("tbody", {}, items.map(row)))
    : h("p", { class: "muted" }, "—");
  const waits = waiting.flatMap((w) => w.items);
  box.heading.textContent = `${t("waiting")} (${waits.length})`;
  box.fill(list(waits), h("h2", { id: "r-h" }, `${t("at_risk")} (${risk.items.length})`), list(risk.items));
}

// A menu that moves a ticket when a choice is made (two clicks: the menu, the choice):
// POST /tickets/{id}/{action} with {field: the choice}.
function moveMenu(ticket, label, prompt, action, field, choices) {
  return h("select", { "aria-label": `${t(label)} #${ticket.id}`, onchange: async (e) => {
    if (!e.target.value) return;
    try {
      await api(`/tickets/${ticket.id}/${action}`, { method: "POST", body: { [field]: e.target.value } });
      toast(`#${ticket.id} → ${e.target.selectedOptions[0].textContent}`);
    } catch (err) { toast(err.message); e.target.value = ""; }
  } }, h("option", { value: "" }, t(prompt)), ...choices.map(([value, text]) => h("option", { value }, text)));
}

async function drawAgents(box, state) {
  const data = await api("/metrics/agents");
  state.agentList = data.items;
  const counts = Object.entries(data.states).map(([s, n]) =>
    h("span", { class: `chip state--${s}`, dataset: { state: s } }, `${t(s)}: ${n}`));
  const rows = data.items.map((a) => h("tr", { dataset: { agent: a.id } },
    h("th", { scope: "row" }, a.name),
    h("td", { dataset: { cell: "state" } }, h("span", { class: `dot state--${a.state}` }), t(a.state)),
    h("td", {}, Object.entries(a.capacity).map(([k, n]) => `${k} ${a.load[k] ?? 0}/${n}`).join(" · ")),
    h("td", {}, pct(a.occupancy))));
  box.fill(h("p", { class: "states" }, counts),
    h("table", {}, h("thead", {}, h("tr", {}, [t("name"), t("presence"), t("load"), t("occupancy")]
      .map((c) => h("th", { scope: "col" }, c)))), h("tbody", {}, rows)));
}

async function drawCoverage(box, state) {
  const pick = h("select", { "aria-label": t("queue"), onchange: () => draw(pick.value) },
    ...state.queueList.map((q) => h("option", { value: q.key }, q.name)));
  const grid = h("div", { class: "heatmap-wrap", "aria-busy": "true" });  // until drawn
  box.fill(pick, grid);
  async function draw(queueId) {
    if (!queueId) { grid.removeAttribute("aria-busy"); return; }
    const data = await api(`/metrics/coverage?queue_id=${queueId}`);
    const days = new Map();
    for (const i of data.intervals) {
      const day = i.start.slice(0, 10);
      if (!days.has(day)) days.set(day, []);
      days.get(day).push(i);
    }
    const level = (gap) => gap >= 0 ? "ok" : gap >= -1 ? "short1" : gap >= -3 ? "short2" : "short3";
    const per = 1440 / data.interval_min;
    const slot = (iso) => Math.floor((Number(iso.slice(11, 13)) * 60 + Number(iso.slice(14, 16))) / data.interval_min);
    const hours = h("tr", {}, h("th", {}), ...Array.from({ length: per }, (_, i) =>
      h("th", { scope: "col", class: "hour" }, (i * data.interval_min) % 360 === 0 ? String((i * data.interval_min) / 60).padStart(2, "0") : "")));
    grid.replaceChildren(h("table", { class: "heatmap" },
      h("caption", {}, `UTC · ${data.summary.intervals_short} × ${t("gap")} · ${data.summary.agent_hours_short} h · ${t("legend")}`),
      h("thead", {}, hours),
      h("tbody", {}, [...days].map(([day, slots]) => h("tr", {},
        h("th", { scope: "row" }, day.slice(5)),
        Array.from({ length: slot(slots[0].start) }, () => h("td", { class: "cell" })),
        slots.map((s) => h("td", { class: `cell cell--${level(s.gap)}`, dataset: { gap: s.gap },
          title: `${s.start.slice(11, 16)} · ${t("arrivals")} ${s.arrivals.toFixed(1)} · ${t("needed")} ${s.required} · ${t("on_shift")} ${s.scheduled} · ${s.gap >= 0 ? t("surplus") : t("gap")} ${s.gap}` })))))));
    grid.removeAttribute("aria-busy");
  }
  await draw(state.queueList[0]?.key);
}

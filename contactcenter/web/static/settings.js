// The admin page's queue and SLA-policy settings as forms (PATCH /queues/{id},
// PATCH /sla-policies/{id}). Nested settings (overflow steps, a forecast, an SLA policy's
// business hours) stay JSON fields inside the form; the README describes their shape. A queue's
// opening hours have their own form (shifts.js).
import { api } from "./api.js";
import { jsonField, minutesField, settingsForm, skillsField } from "./forms.js";
import { h, t, toast } from "./ui.js";

const PRIORITIES = ["urgent", "high", "normal", "low"];
const TARGETS = [["first_response_s", "target_first_response"],
  ["next_response_s", "target_next_response"], ["resolution_s", "target_resolution"]];
const orNull = (s) => (typeof s === "string" ? s.trim() || null : s);

export function queueForm(queue, policies, teams, saved) {
  const fields = [
    { key: "strategy", label: t("strategy"), kind: "select",
      options: ["longest_idle", "least_occupied", "round_robin"].map((s) => [s, t(s)]) },
    { key: "offer_timeout_s", label: t("offer_timeout_s"), kind: "number", min: 5, max: 3600 },
    { key: "max_attempts", label: t("max_attempts"), kind: "number", min: 1, max: 100 },
    skillsField("required_skills", t("required_skills")),
    { key: "language_required", label: t("language_required"), kind: "checkbox" },
    minutesField("escalate_after_s", t("escalate_after")),
    { key: "sticky_s", label: t("sticky_s"), kind: "number", min: 0, max: 3600 },
    { key: "shift_end_drain_s", label: t("shift_end_drain_s"), kind: "number", min: 0, max: 7200 },
    { key: "shift_end_policy", label: t("shift_end_policy"), kind: "select",
      options: [["keep", t("keep")], ["requeue", t("requeue_open")]] },
    { key: "team_id", label: t("team"), kind: "select", fromInput: orNull,
      options: [["", t("no_team")], ...teams.map((x) => [x.id, x.name])] },
    { key: "sla_policy_id", label: t("sla_policy"), kind: "select", fromInput: orNull,
      options: [["", t("brand_default")], ...policyOptions(queue, policies)] },
    { key: "sl_target", label: t("sl_target"), kind: "number", min: 1, max: 99, step: "any",
      toInput: (v) => String(+(v * 100).toFixed(6)), fromInput: (s) => Number(s) / 100 },
    { key: "sl_threshold_s", label: t("sl_threshold_s"), kind: "number", min: 1 },
    { key: "after_hours_reply", label: t("after_hours_reply"), kind: "textarea", fromInput: orNull },
    jsonField("overflow", t("overflow")),
    jsonField("forecast", t("forecast")),
  ];
  return settingsForm(fields, queue, async (body) => {
    if (!Object.keys(body).length) return;
    await api(`/queues/${queue.id}`, { method: "PATCH", body });
    toast(`${queue.name}: ${t("saved")}`);
    await saved?.();
  });
}

// The brand's policies, and the queue's own even when the list does not hold it (saving any
// other field must never switch the policy).
function policyOptions(queue, policies) {
  const mine = policies.filter((p) => p.brand_id === queue.brand_id).map((p) => [p.id, p.name]);
  if (queue.sla_policy_id && !mine.some(([id]) => id === queue.sla_policy_id)) {
    mine.push([queue.sla_policy_id, queue.sla_policy_id]);
  }
  return mine;
}

export function policyForm(policy, saved) {
  const value = { name: policy.name, calendar: policy.calendar, channels: policy.channels.join(", "),
    warn_at: policy.warn_at.map((x) => +(x * 100).toFixed(6)).join(", "), is_default: policy.is_default };
  const fields = [{ key: "name", label: t("name"), kind: "text" }];
  for (const prio of PRIORITIES) {
    for (const [target, label] of TARGETS) {
      value[`${prio}.${target}`] = policy.targets[prio]?.[target] ?? null;
      fields.push(minutesField(`${prio}.${target}`, `${t(prio)} · ${t(label)}`));
    }
  }
  for (const status of ["new", "open", "pending"]) {
    value[`pause.${status}`] = policy.pause_on.includes(status);
    fields.push({ key: `pause.${status}`, label: `${t("pause_on")}: ${t(status)}`, kind: "checkbox" });
  }
  fields.push(
    { key: "warn_at", label: t("warn_at"), kind: "text", placeholder: "50, 80" },
    { key: "channels", label: t("policy_channels"), kind: "text", placeholder: "whatsapp, email" },
    { key: "is_default", label: t("is_default"), kind: "checkbox" },
    jsonField("calendar", t("calendar")));
  const toBody = (form) => {
    const targets = {};
    for (const prio of PRIORITIES) {  // a priority listed with no targets means "no clocks"
      const set = Object.fromEntries(TARGETS.map(([k]) => [k, form[`${prio}.${k}`]]));
      if (prio in policy.targets || Object.values(set).some((v) => v != null)) targets[prio] = set;
    }
    return {
      name: form.name, targets, calendar: form.calendar, is_default: form.is_default,
      pause_on: ["new", "open", "pending"].filter((s) => form[`pause.${s}`]),
      warn_at: form.warn_at.split(",").map((x) => x.trim()).filter(Boolean).map((x) => Number(x) / 100),
      channels: form.channels.split(",").map((x) => x.trim()).filter(Boolean),
    };
  };
  const before = toBody(value);
  return settingsForm(fields, value, async (_, form) => {
    const body = toBody(form);
    for (const key of Object.keys(body)) {  // only what changed goes
      if (JSON.stringify(body[key]) === JSON.stringify(before[key])) delete body[key];
    }
    if (!Object.keys(body).length) return;
    await api(`/sla-policies/${policy.id}`, { method: "PATCH", body });
    toast(`${policy.name}: ${t("saved")}`);
    await saved?.();
  });
}

export function summary(text, form, open = false) {
  return h("details", { open }, h("summary", {}, text), form);
}

// Settings forms from a list of fields: each field knows its input and how a value goes into
// it and comes back out. Only what the admin changed is sent (a setting nobody touched is never
// rewritten, nor rounded); the API checks it and its error is shown as written.
import { h, t } from "./ui.js";

let serial = 0;

// field: { key, label, kind: "number" | "text" | "textarea" | "select" | "checkbox",
//          options: [[value, label]], min, max, step, toInput(v), fromInput(s) }
export function settingsForm(fields, value, save) {
  const inputs = fields.map((f) => {
    const id = `sf-${f.key}-${++serial}`;
    const shown = f.toInput ? f.toInput(value[f.key], value) : value[f.key];
    let input;
    if (f.kind === "select") {
      input = h("select", { id }, ...f.options.map(([v, label]) => h("option", { value: v }, label)));
      input.value = shown ?? "";
    } else if (f.kind === "checkbox") {
      input = h("input", { id, type: "checkbox", checked: Boolean(shown) });
    } else if (f.kind === "textarea") {
      input = h("textarea", { id, rows: f.rows ?? 2, class: f.json ? "json" : null, spellcheck: f.json ? "false" : null });
      input.value = shown ?? "";
    } else {
      input = h("input", { id, type: f.kind, min: f.min, max: f.max, step: f.step, size: f.size,
        placeholder: f.placeholder, value: shown ?? "" });
    }
    const read = () => {
      const raw = f.kind === "checkbox" ? input.checked : input.value;
      return f.fromInput ? f.fromInput(raw) : (f.kind === "number" ? (raw === "" ? null : Number(raw)) : raw);
    };
    return { f, input, read, label: h("label", { for: id }, f.label), before: JSON.stringify(shown ?? null) };
  });
  for (const field of inputs) {  // as the form shows it, read back: the baseline for "changed"
    try { field.before = JSON.stringify(field.read()); } catch { field.before = null; }
  }
  const result = h("span", { role: "status" });
  const submit = async (e) => {
    e.preventDefault();
    const all = {}, changed = {};
    try {
      for (const { f, read, before } of inputs) {
        all[f.key] = read();
        if (JSON.stringify(all[f.key]) !== before) changed[f.key] = all[f.key];
      }
    } catch (err) { result.textContent = err.message; result.className = "error"; return; }
    try {
      await save(changed, all);
      result.textContent = "✓";
      result.className = "ok";
    } catch (err) { result.textContent = err.message; result.className = "error"; }
  };
  return h("form", { class: "settings", onsubmit: submit },
    ...inputs.map(({ label, input }) => h("div", { class: "field" }, label, input)),
    h("div", {}, h("button", { type: "submit", class: "primary" }, t("save")), " ", result));
}

// "billing:3, german" ⇄ {billing: 3, german: 1}
export const skillsField = (key, label) => ({
  key, label, kind: "text", placeholder: "billing:3, german",
  toInput: (v) => Object.entries(v ?? {}).map(([k, n]) => `${k}:${n}`).join(", "),
  fromInput: (s) => Object.fromEntries(s.split(",").map((x) => x.trim()).filter(Boolean).map((x) => {
    const [name, level] = x.split(":").map((y) => y.trim());
    return [name, level ? Number(level) : 1];
  })),
});

// JSON inside a form, for the few nested settings (overflow steps, calendars)
export const jsonField = (key, label) => ({
  key, label, kind: "textarea", json: true, rows: 3,
  toInput: (v) => JSON.stringify(v ?? null),
  fromInput: (s) => {
    try { return JSON.parse(s || "null"); } catch (err) { throw new Error(`${label}: ${err.message}`); }
  },
});

// minutes in the form, seconds in the API; blank: none (the API checks the range)
export const minutesField = (key, label) => ({
  key, label, kind: "number", step: "any", size: 6,
  toInput: (v) => (v == null ? "" : String(+(v / 60).toFixed(2))),
  fromInput: (s) => (s === "" ? null : Math.round(Number(s) * 60)),
});

// The détente dashboard: plain JavaScript over the JSON API of `detente serve`.
// The page computes nothing: every number comes from an API result, every chart is a
// Vega-Lite spec the server builds (POST /api/charts/{kind}) and vega-embed draws.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token");
const state = { id: null, scenario: null, edited: false, upload: null, forecast: null, job: null, runs: 0, stored: [] };
const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- API
async function api(path, { method = "GET", body = null, raw = false } = {}) {
  const headers = {};
  if (TOKEN) headers.Authorization = "Bearer " + TOKEN;
  if (body !== null) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === null ? null : JSON.stringify(body) });
  if (!res.ok) {
    let text = res.status + " " + res.statusText;
    try {
      const data = await res.json();
      text = typeof data.detail === "string" ? data.detail : (data.message || JSON.stringify(data.detail || data));
    } catch (e) { /* not JSON: keep the status line */ }
    const err = new Error(text);
    err.status = res.status;
    throw err;
  }
  return raw ? res : res.json();
}

function withToken(path) {
  return TOKEN ? path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN) : path;
}

function say(text, bad = false) {
  const el = $("status");
  el.textContent = text;
  el.className = bad ? "bad" : "";
}

// ---------------------------------------------------------------- small DOM helpers
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function table(target, columns, rows, caption) {
  const t = $(target);
  t.replaceChildren();
  if (caption) t.append(el("caption", { text: caption }));
  const head = el("tr");
  for (const c of columns) head.append(el("th", { scope: "col", text: c.label }));
  t.append(el("thead", {}, head));
  const body = el("tbody");
  for (const r of rows) {
    const tr = el("tr");
    for (const c of columns) {
      const v = c.get(r);
      tr.append(v instanceof Node ? el("td", {}, v) : el("td", { text: v ?? "—" }));
    }
    body.append(tr);
  }
  t.append(body);
}

const num = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v) ? "—" : Number(v).toFixed(d));
const pct = (v) => (v === null || v === undefined ? "—" : (100 * v).toFixed(1) + " %");
const qty = (q) => (q !== null && typeof q === "object" ? q : { value: q });

async function draw(kind, result, target) {
  const spec = await api("/api/charts/" + kind, { method: "POST", body: result });
  const view = await vegaEmbed("#" + target, spec, { actions: false, renderer: "svg" });
  $(target).dataset.rendered = String(Date.now());
  return view;
}

// ---------------------------------------------------------------- scenario
async function loadScenarios() {
  const list = await api("/api/scenarios");
  const sel = $("scenario");
  sel.replaceChildren(...list.map((s) => el("option", { value: s.id, text: s.title + " (" + s.id + ")" })));
  const wanted = new URLSearchParams(location.search).get("scenario");
  // the default scenario is the embedded default (korea-2023) when the server has it
  const first = [wanted, "korea-2023"].find((w) => w && list.some((s) => s.id === w));
  if (first) sel.value = first;
  await loadScenario(sel.value);
}

async function loadScenario(id) {
  state.id = id;
  state.scenario = await api("/api/scenarios/" + encodeURIComponent(id));
  state.edited = false;
  const s = state.scenario;
  $("scenario-summary").textContent = (s.title || s.id) + (s.as_of ? ", as of " + s.as_of : "") +
    (s.summary ? ": " + s.summary : "");
  const pol = $("policy");
  pol.replaceChildren(el("option", { value: "", text: "status quo (no policy)" }),
    ...(s.policies || []).map((p) => el("option", { value: p.id, text: p.name })));
  renderStances();
  renderLevers();
  fillLeverForm();
  const warnings = (s.meta && s.meta.problems) || [];
  $("problems").replaceChildren(...warnings.map((p) =>
    el("li", { class: p.severity || "warning", text: (p.field || "scenario") + ": " + p.message })));
  await loadRuns();
  await Promise.allSettled([loadClaims(), loadRecords()]);
}

function sourceText(q) {
  if (!q.source) return "unsourced";
  const src = (state.scenario.sources || []).find((x) => x.id === q.source);
  return src ? src.title : q.source;
}

function cellButton(path, label, q) {
  const b = el("button", { type: "button", class: "cell", "data-path": path,
    title: (q.note || "") + (q.range ? " range " + q.range.join("–") : ""),
    "aria-label": "edit " + path + " = " + q.value, onclick: () => openEditor(path) }, label);
  return b;
}

function renderStances() {
  const s = state.scenario;
  const t = $("stances");
  t.replaceChildren(el("caption", { text: "Actors (rows) × issues (columns): position / salience, source" }));
  const head = el("tr", {}, el("th", { scope: "col", text: "actor" }), el("th", { scope: "col", text: "capability" }));
  for (const i of s.issues) head.append(el("th", { scope: "col", title: i.low + " (0) … " + i.high + " (100)", text: i.name }));
  t.append(el("thead", {}, head));
  const body = el("tbody");
  s.actors.forEach((a, k) => {
    const cap = qty(a.capability);
    const tr = el("tr", {}, el("th", { scope: "row", text: a.name }),
      el("td", {}, cellButton(`actors[${k}].capability`, num(cap.value, 0), cap),
        el("small", { text: sourceText(cap) })));
    for (const i of s.issues) {
      const st = (a.stances || {})[i.id];
      if (!st) { tr.append(el("td", { text: "—" })); continue; }
      const p = qty(st.position), sal = qty(st.salience);
      tr.append(el("td", {},
        cellButton(`actors[${k}].stances.${i.id}.position`, num(p.value, 0), p), " / ",
        cellButton(`actors[${k}].stances.${i.id}.salience`, num(sal.value, 0), sal),
        el("small", { text: sourceText(p) })));
    }
    body.append(tr);
  });
  t.append(body);
}

// Walks a field path such as actors[2].stances.talks.position on the scenario dict.
function walk(obj, path, assign) {
  const parts = path.replace(/\[(\d+)\]/g, ".$1").split(".");
  let cur = obj;
  for (let k = 0; k < parts.length - 1; k++) cur = cur[parts[k]];
  const last = parts[parts.length - 1];
  if (assign !== undefined) cur[last] = assign;
  return cur[last];
}

function openEditor(path) {
  const q = qty(walk(state.scenario, path));
  $("editor").hidden = false;
  $("editor").dataset.path = path;
  $("edit-path").textContent = path;
  $("edit-value").value = q.value;
  $("edit-source").value = q.source || "";
  $("edit-note").value = q.note || "";
  $("edit-lo").value = q.range ? q.range[0] : "";
  $("edit-hi").value = q.range ? q.range[1] : "";
  clearFieldErrors("editor", "edit-errors");
  $("edit-value").focus();
}

function asNumber(text) {
  // Non-numbers go to the server as text, so its validation names the field (not the page).
  const t = String(text).trim();
  return t !== "" && !Number.isNaN(Number(t)) ? Number(t) : t;
}

async function applyEdit() {
  const path = $("editor").dataset.path;
  const q = { value: asNumber($("edit-value").value) };
  if ($("edit-source").value.trim()) q.source = $("edit-source").value.trim();
  if ($("edit-note").value.trim()) q.note = $("edit-note").value.trim();
  if ($("edit-lo").value.trim() || $("edit-hi").value.trim()) q.range = [asNumber($("edit-lo").value), asNumber($("edit-hi").value)];
  const candidate = structuredClone(state.scenario);
  walk(candidate, path, q);
  const ok = await check(candidate, "editor", "edit-errors", path);
  if (ok) {
    state.scenario = candidate;
    state.edited = true;
    renderStances();
    renderLevers();
    say("Edit accepted: " + path + " = " + q.value + ". Run the forecast to see its effect.");
  }
}

function clearFieldErrors(formId, listId) {
  for (const input of $(formId).querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const m of $(formId).querySelectorAll(".field-error")) m.remove();
  $(listId).replaceChildren();
}

// Validates a candidate scenario on the server and shows each problem at its field.
async function check(candidate, formId, listId, basePath) {
  clearFieldErrors(formId, listId);
  const res = await api("/api/scenarios/validate", { method: "POST", body: { scenario: candidate } });
  const problems = res.problems || [];
  const errors = problems.filter((p) => (p.severity || "error") === "error");
  $("problems").replaceChildren(...problems.map((p) =>
    el("li", { class: p.severity || "error", text: (p.field || "scenario") + ": " + p.message })));
  for (const p of errors) {
    const field = p.field || "";
    const msg = field + ": " + p.message;
    $(listId).append(el("li", { text: msg }));
    let input = null;
    for (const inp of $(formId).querySelectorAll("[data-part], [data-field]")) {
      const part = inp.dataset.part || inp.dataset.field;
      if (field === basePath + "." + part || field.startsWith(basePath + "." + part + "[") ||
          field.endsWith("." + part)) { input = input || inp; }
    }
    if (!input && basePath && (field === basePath || field.startsWith(basePath))) {
      input = $(formId).querySelector("[data-part=value], [data-field=value]");
    }
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.closest("label").append(el("span", { class: "field-error", role: "alert", text: p.message }));
    }
  }
  if (errors.length) say(errors.length + " problem(s): fix the marked field(s).", true);
  return res.ok && errors.length === 0;
}

async function exportYaml() {
  const res = await api("/api/scenarios/export", { method: "POST", body: { scenario: state.scenario }, raw: true });
  const blob = await res.blob();
  const a = el("a", { href: URL.createObjectURL(blob), download: state.scenario.id + "-edited.yaml" });
  document.body.append(a);
  a.click();
  a.remove();
  say("Saved as a new file " + state.scenario.id + "-edited.yaml (the embedded scenario is unchanged).");
}

// ---------------------------------------------------------------- levers
// A lever without its own range moves over its field's scale: positions and saliences 0–100
// for `set`, ±50 points for `shift`, ×0–2 for `scale` (docs/scenario-format.md, levers).
function leverRange(change) {
  if (change.range) return change.range;
  if (change.op === "shift") return [-50, 50];
  if (change.op === "scale") return [0, 2];
  if (change.field === "capability") return [0, Math.max(100, 2 * change.value)];
  return [0, 100];
}

function currentPolicy() {
  const id = $("policy").value;
  return (state.scenario.policies || []).findIndex((p) => p.id === id);
}

function renderLevers() {
  const box = $("levers");
  box.replaceChildren();
  const k = currentPolicy();
  if (k < 0) { box.append(el("p", { text: "Status quo: pick a policy to see its levers." })); return; }
  const pol = state.scenario.policies[k];
  if (pol.summary) box.append(el("p", { text: pol.summary }));
  for (const kind of ["levers", "assumptions"]) {
    (pol[kind] || []).forEach((c, j) => {
      const [lo, hi] = leverRange(c);
      const id = `slider-${kind}-${j}`;
      const out = el("output", { for: id, text: String(c.value) });
      const input = el("input", { type: "range", id, min: lo, max: hi, step: "any",
        value: c.value, "data-path": `policies[${k}].${kind}[${j}].value`,
        oninput: (e) => {
          out.textContent = e.target.value;
          c.value = Number(e.target.value);
          state.edited = true;
        } });
      const what = `${kind === "levers" ? "Lever" : "Assumption"}: ${c.actor} ${c.field}` +
        (c.issue ? " on " + c.issue : "") + ` (${c.op})`;
      box.append(el("div", { class: "lever " + kind },
        el("label", { for: id, text: what + ` [${lo} – ${hi}]` }), input, out,
        el("p", { class: "rationale", text: c.rationale ? "Why: " + c.rationale : "No rationale given." })));
    });
  }
  const specs = Object.fromEntries(((state.scenario.meta || {}).dynamics_levers || []).map((d) => [d.name, d]));
  (pol.dynamics || []).forEach((d, j) => {
    const spec = specs[d.name];
    const id = `slider-dynamics-${j}`;
    const [lo, hi] = spec ? [spec.low, spec.high] : [Math.min(0, d.value), Math.max(1, d.value)];
    const out = el("output", { for: id, text: String(d.value) });
    const input = el("input", { type: "range", id, min: lo, max: hi, step: "any", value: d.value,
      "data-path": `policies[${k}].dynamics[${j}].value`,
      oninput: (e) => { out.textContent = e.target.value; d.value = Number(e.target.value); state.edited = true; } });
    box.append(el("div", { class: "lever dynamics" },
      el("label", { for: id, text: `Dynamics input ${d.name} [${lo} – ${hi}] (used by Compare)` }), input, out,
      el("p", { class: "rationale", text: (d.rationale ? "Why: " + d.rationale : "No rationale given.") +
        (spec ? " Scale: " + spec.meaning : "") })));
  });
}

function fillLeverForm() {
  const s = state.scenario;
  $("new-actor").replaceChildren(...s.actors.map((a) => el("option", { value: a.id, text: a.name })));
  $("new-issue").replaceChildren(el("option", { value: "", text: "(none: capability)" }),
    ...s.issues.map((i) => el("option", { value: i.id, text: i.name })));
}

async function addLever() {
  const k = currentPolicy();
  if (k < 0) { say("Pick a policy first: a lever belongs to a policy.", true); return; }
  const lever = { actor: $("new-actor").value, field: $("new-field").value, op: $("new-op").value,
    value: asNumber($("new-value").value) };
  if ($("new-issue").value) lever.issue = $("new-issue").value;
  if ($("new-rationale").value.trim()) lever.rationale = $("new-rationale").value.trim();
  const candidate = structuredClone(state.scenario);
  candidate.policies[k].levers = [...(candidate.policies[k].levers || []), lever];
  const base = `policies[${k}].levers[${candidate.policies[k].levers.length - 1}]`;
  if (await check(candidate, "add-lever", "new-errors", base)) {
    state.scenario = candidate;
    state.edited = true;
    renderLevers();
    say("Lever added to " + candidate.policies[k].name + ".");
  }
}

// ---------------------------------------------------------------- forecast
// The API names scenarios by id: an edited scenario (a moved lever, an edited number) is
// uploaded first (POST /api/scenarios), and the same text is uploaded once.
async function scenarioId() {
  if (!state.edited) return state.id;
  const text = JSON.stringify(state.scenario);
  if (state.upload && state.upload.text === text) return state.upload.id;
  const res = await api("/api/scenarios", { method: "POST", body: { scenario: state.scenario } });
  state.upload = { text, id: res.id };
  return res.id;
}

async function forecastBody() {
  return { scenario: await scenarioId(), model: $("model").value,
    policy: $("policy").value || null, draws: Number($("draws").value), seed: Number($("seed").value) };
}

async function runForecast() {
  say("Running the forecast…");
  $("run").disabled = true;
  const t0 = performance.now();
  try {
    const fc = await api("/api/forecast", { method: "POST", body: await forecastBody() });
    showForecast(fc);
    await Promise.all([draw("positions", fc, "chart-positions"), draw("trajectories", fc, "chart-trajectories")]);
    const ms = performance.now() - t0;  // press → table and both charts drawn
    state.runs += 1;
    document.body.dataset.forecastMs = ms.toFixed(1);
    document.body.dataset.forecastRuns = String(state.runs);
    say(`Forecast (${fc.model}, ${fc.draws} draws, seed ${fc.seed}) shown in ${Math.round(ms)} ms.`);
  } catch (e) {
    say("Forecast failed: " + e.message, true);
  } finally {
    $("run").disabled = false;
  }
}

function showForecast(fc) {
  state.forecast = fc;
  const rows = Object.entries(fc.issues).map(([id, it]) => ({ id, ...it }));
  const q = (r, k) => (r.draws && r.draws.quantiles ? r.draws.quantiles[k] : undefined);
  table("forecast-table", [
    { label: "issue", get: (r) => r.id },
    { label: "start median", get: (r) => num(r.start_median) },
    { label: "forecast (point run)", get: (r) => num(r.forecast) },
    { label: "cycle range", get: (r) => num(r.cycle_range[0]) + "–" + num(r.cycle_range[1]) },
    { label: "median over draws", get: (r) => num(q(r, "0.5")) },
    { label: "90 % interval", get: (r) => (q(r, "0.05") === undefined ? "—" : num(q(r, "0.05")) + "–" + num(q(r, "0.95"))) },
    { label: "P(moves up)", get: (r) => (r.draws ? pct(r.draws.p_moves_up) : "—") },
    { label: "stop", get: (r) => r.stop },
  ], rows, `${fc.model.toUpperCase()} forecast, ${fc.policy || "status quo"}, ${fc.draws} draws, seed ${fc.seed}`);
}

// ---------------------------------------------------------------- compare (a job)
async function runCompare() {
  $("compare").disabled = true;
  $("progress").value = 0;
  $("progress-text").textContent = "starting…";
  try {
    const params = { scenario: await scenarioId(), draws: Math.max(2, Number($("draws").value)),
      seed: Number($("seed").value), horizon_months: 12 * Number($("years").value),
      backtest: $("with-backtest").checked, backcast: $("with-backcast").checked };
    const { job_id } = await api("/api/jobs", { method: "POST", body: { kind: "compare", params } });
    state.job = job_id;
    $("cancel").hidden = false;
    let job;
    for (;;) {
      job = await api("/api/jobs/" + job_id);
      const p = job.progress || {};
      $("progress").value = p.fraction ?? 0;
      $("progress-text").textContent = (p.stage || job.state) + (p.total ? ` (${p.done}/${p.total})` : "");
      if (!["queued", "running"].includes(job.state)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (job.state === "cancelled") {
      $("progress-text").textContent = "cancelled";
      say("Comparison cancelled.");
      return;
    }
    if (job.state !== "done" || !job.result) throw new Error(job.error || ("the job ended " + job.state));
    $("progress").value = 1;
    $("progress-text").textContent = "done";
    await showComparison(job.result);
    await loadRuns();
    if (job.run_id) await openRun(job.run_id);
  } catch (e) {
    say("Comparison failed: " + e.message, true);
    $("progress-text").textContent = "failed";
  } finally {
    $("compare").disabled = false;
    $("cancel").hidden = true;
    state.job = null;
  }
}

async function cancelJob() {
  if (!state.job) return;
  $("cancel").disabled = true;
  try {
    await api("/api/jobs/" + state.job, { method: "DELETE" });
  } catch (e) {
    say("Could not cancel: " + e.message, true);
  } finally {
    $("cancel").disabled = false;
  }
}

async function showComparison(c) {
  table("summary-table", [
    { label: "policy", get: (r) => r.name || r.policy },
    { label: "launch events, horizon (80 %)", get: (r) => (r.launch_events_median === undefined ? "—" :
      `${num(r.launch_events_median, 0)} (${num(r.launch_events_q10, 0)}–${num(r.launch_events_q90, 0)})`) },
    { label: "P(nuclear test)", get: (r) => pct(r.p_nuclear_test) },
    { label: "P(dialogue ≤ 12 m)", get: (r) => pct(r.p_dialogue_12m) },
    { label: "talks position (80 %)", get: (r) => (r.talks_median === undefined ? "—" :
      `${num(r.talks_median, 0)} (${num(r.talks_q10, 0)}–${num(r.talks_q90, 0)})`) },
  ], c.summary || [], `Comparison of ${c.scenario}, ${c.draws} draws, seed ${c.seed}, ${c.horizon_months} months`);
  table("paired-table", [
    { label: "policy", get: (r) => r.policy },
    { label: "quantity", get: (r) => r.quantity },
    { label: "median (mean for probabilities)", get: (r) => num(r.median, 3) },
    { label: "interval", get: (r) => num(r.q10, 3) + " to " + num(r.q90, 3) },
    { label: "P(better)", get: (r) => pct(r.p_better) + " ± " + pct(r.p_better_se) },
    { label: "P(worse)", get: (r) => pct(r.p_worse) },
    { label: "pairs", get: (r) => r.n_pairs },
  ], c.paired || [], c.paired && c.paired.length ? c.paired[0].basis : "no dynamics binding: no paired differences");
  const jobs = [];
  if ((c.yearly || []).length) jobs.push(draw("fan", c, "chart-fan"));
  if ((c.paired || []).length) jobs.push(draw("paired", c, "chart-paired"));
  if (c.track_record) jobs.push(showTrackRecord(c.track_record));
  if (c.claims) showClaims(c.claims);
  await Promise.all(jobs);
  document.body.dataset.compareShown = String(Date.now());
  say(`Comparison shown (${c.policies.length} policies).`);
}

// ---------------------------------------------------------------- claims, records, runs
// Claims come from the newest stored comparison of the scenario: asked for only when the store
// has one (a fresh store has none, and the page asks for nothing that is not there).
async function loadClaims() {
  const sid = state.scenario.id;
  const stored = state.stored.some((r) => r.kind === "compare" && r.status === "done" && r.scenario_id === sid);
  if (!stored) {
    table("claims-table", [{ label: "claims", get: (r) => r }],
      ["No stored comparison of " + sid + " yet: press Compare policies to put its claims to the models."]);
    return;
  }
  try {
    showClaims(await api("/api/claims?scenario=" + encodeURIComponent(state.id)));
  } catch (e) {
    table("claims-table", [{ label: "claims", get: (r) => r }], [e.message]);
  }
}

function showClaims(data) {
  const claims = Array.isArray(data) ? data : (data.claims || []);
  table("claims-table", [
    { label: "claim", get: (r) => r.id },
    { label: "text", get: (r) => r.claim },
    { label: "verdict", get: (r) => el("span", { class: "verdict " + r.verdict, text: r.verdict }) },
    { label: "basis", get: (r) => r.basis },
    { label: "why", get: (r) => r.sentence },
  ], claims, claims.length ? "Verdicts by rule (detente.verdicts)" + (data.run_id ? ", run " + data.run_id : "")
    : "This scenario declares no claims.");
}

function showTrackRecord(tr) {
  $("track-lines").replaceChildren(...(tr.lines || []).map((line) => el("li", { text: line })));
  return draw("track-record", tr, "chart-track");
}

async function loadRecords() {
  try {
    const data = await api("/api/records");
    const recs = Array.isArray(data) ? data : (data.records || []);
    table("records-table", [
      { label: "forecast record", get: (r) => (r.record || r).id },
      { label: "kept in", get: (r) => r.source },
      { label: "as of", get: (r) => (r.record || r).as_of },
      { label: "resolved", get: (r) => (r.record || r).resolved },
      { label: "open", get: (r) => (r.record || r).open },
      { label: "sha256", get: (r) => el("code", { text: String((r.record || r).sha256 || "").slice(0, 16) + "…" }) },
    ], recs, "Frozen forecast records (made before the outcome), scored as their questions resolve");
  } catch (e) {
    table("records-table", [{ label: "records", get: (r) => r }], [e.message]);
  }
}

async function loadRuns() {
  try {
    state.stored = await api("/api/runs");
    table("runs-table", [
      { label: "run", get: (r) => r.id },
      { label: "kind", get: (r) => r.kind },
      { label: "status", get: (r) => r.status },
      { label: "scenario", get: (r) => r.scenario_id },
      { label: "started", get: (r) => r.started },
      { label: "seed", get: (r) => r.seed },
      { label: "seconds", get: (r) => num(r.seconds) },
      { label: "open", get: (r) => el("button", { type: "button", "aria-label": "open run " + r.id,
        onclick: () => openRun(r.id), text: "Open" }) },
    ], state.stored, state.stored.length ? "Runs in the store, newest first" : "No stored runs yet.");
  } catch (e) {
    state.stored = [];
    table("runs-table", [{ label: "runs", get: (r) => r }], [e.message]);
  }
}

async function openRun(id) {
  try {
    const run = await api("/api/runs/" + encodeURIComponent(id));
    const box = $("run-detail");
    const facts = [["run", run.id], ["kind", run.kind], ["status", run.status], ["command", run.command],
      ["scenario", run.scenario_id], ["seed", run.seed], ["started", run.started], ["seconds", num(run.seconds)],
      ["tables", (run.tables || []).map((t) => t.name).join(", ")]];
    if (run.error) facts.push(["error", run.error]);
    const dl = el("dl");
    for (const [k, v] of facts) dl.append(el("dt", { text: k }), el("dd", { text: v ?? "—" }));
    box.replaceChildren(el("h3", { text: "Run " + run.id }), dl);
    if (run.report) {
      const href = withToken(run.report);
      box.append(el("p", {}, el("a", { id: "report-download", href, download: run.id + ".html",
        text: "Download the HTML report" }), " · ", el("a", { href, target: "_blank", rel: "noopener", text: "open it in a new tab" })));
      box.append(el("iframe", { id: "report-frame", src: href, title: "report of run " + run.id }));
    }
    say("Opened run " + id + ".");
  } catch (e) {
    say("Could not open run " + id + ": " + e.message, true);
  }
}

// ---------------------------------------------------------------- wiring
window.addEventListener("DOMContentLoaded", () => {
  $("scenario").addEventListener("change", (e) => loadScenario(e.target.value).catch((x) => say(x.message, true)));
  $("policy").addEventListener("change", renderLevers);
  $("run").addEventListener("click", runForecast);
  $("compare").addEventListener("click", runCompare);
  $("cancel").addEventListener("click", cancelJob);
  $("edit-apply").addEventListener("click", () => applyEdit().catch((x) => say(x.message, true)));
  $("edit-cancel").addEventListener("click", () => { $("editor").hidden = true; });
  $("new-add").addEventListener("click", () => addLever().catch((x) => say(x.message, true)));
  $("export").addEventListener("click", () => exportYaml().catch((x) => say(x.message, true)));
  $("runs-refresh").addEventListener("click", loadRuns);
  loadScenarios().then(() => { document.body.dataset.ready = "1"; say("Ready."); })
    .catch((e) => say("Could not load the scenarios: " + e.message, true));
});

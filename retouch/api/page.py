"""The operator page of `retouch api` (at `/`): upload pictures, type an instruction (template
suggestions, and a live preview of the route and its cost as you type), submit, watch the jobs,
compare before and after with a slider, read the checks' findings, download; this key's
history. Plain HTML, CSS and JavaScript served from the API itself, no inline script (a strict
Content-Security-Policy); the API key is kept in the tab's sessionStorage only."""

from __future__ import annotations

POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Retouch</title>
<link rel="stylesheet" href="/static/api.css"></head>
<body>
<header><h1>Retouch</h1>
<label>API key <input id="key" type="password" autocomplete="off" placeholder="rtk_…"></label></header>
<section class="new">
  <h2>New edit</h2>
  <input id="files" type="file" accept="image/*" multiple>
  <input id="instruction" list="templates" placeholder="e.g. 裁剪为1:1 · replace the background with pure white">
  <datalist id="templates"></datalist>
  <p id="preview" class="preview">Type an instruction to see how it would be done and what it costs.</p>
  <p id="choices" class="choices"></p>
  <button id="submit">Edit</button> <span id="said"></span>
</section>
<section><h2>Jobs</h2><div id="jobs"><p class="empty">No jobs yet.</p></div></section>
<script src="/static/api.js"></script></body></html>
"""

STYLE = """body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{display:flex;justify-content:space-between;align-items:center;padding:.8rem 2rem;background:#222;color:#fff}
header h1{margin:0;font-size:1.3rem} header input{width:22rem}
section{margin:1.2rem 2rem;background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 3px #0002}
#instruction{width:40rem;max-width:90%;padding:.4rem} .preview{color:#555;font-size:.9rem}
.preview.reject{color:#a33} button{padding:.4rem 1.2rem} .choices button.choice{padding:.1rem .5rem;font-size:.85rem}
.job{border-top:1px solid #ddd;padding:.8rem 0} .job h3{margin:.2rem 0;font-size:1rem}
.status{font-weight:bold} .status.published{color:#176} .status.review{color:#a60}
.status.failed,.status.rejected{color:#a33}
.compare{position:relative;display:inline-block;max-width:100%;margin:.4rem 0}
.compare img{display:block;max-width:min(640px,100%);height:auto}
.compare .after{position:absolute;top:0;left:0;clip-path:inset(0 0 0 50%)} .compare input{width:100%}
.compare.side .after{position:static;clip-path:none} .compare.side input{display:none}
.compare.side img{display:inline-block;max-width:min(400px,48%);margin-right:1rem;vertical-align:top}
.findings{font-size:.85rem;color:#555} .findings .fail{color:#a33} .empty{color:#666}
"""

SCRIPT = """const keyBox = document.getElementById("key");
keyBox.value = sessionStorage.getItem("retouch-key") || "";
keyBox.addEventListener("change", () => { sessionStorage.setItem("retouch-key", keyBox.value); refresh(); });
const auth = () => keyBox.value ? {"Authorization": "Bearer " + keyBox.value} : {};
let open = false;  // the API serves without keys (--no-auth, loopback)
const jobs = document.getElementById("jobs");
const shown = new Map();

async function templates() {
  const res = await fetch("/v1/templates", {headers: auth()});
  if (!res.ok) return;
  const list = document.getElementById("templates");
  list.innerHTML = "";
  for (const form of await res.json()) {
    for (const text of [form.zh, form.en, ...form.examples]) {
      const option = document.createElement("option"); option.value = text; list.append(option);
    }
  }
}

let timer = null;
document.getElementById("instruction").addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(preview, 250);
});
async function preview() {
  const text = document.getElementById("instruction").value;
  const box = document.getElementById("preview");
  if (!text.trim()) { box.textContent = ""; return; }
  const res = await fetch("/v1/route", {method: "POST", headers: {...auth(), "Content-Type": "application/json"},
                                        body: JSON.stringify({instruction: text})});
  const body = await res.json();
  if (!res.ok) { box.textContent = body.error; box.className = "preview reject"; return; }
  box.className = "preview" + (body.route === "reject" ? " reject" : "");
  box.textContent = body.route === "reject" ? `refused: ${body.reason}`
    : `${body.route}: ${body.reason} · ${body.how} · about $${body.estimated_usd.toFixed(5)} (a hosted API: $${body.hosted_api_usd})`;
  showChoices(body.route === "reject" ? body.choices || [] : []);
}

// "did you mean …": the closest canonical phrasings of an unsure request, one click to use one
function showChoices(choices) {
  const box = document.getElementById("choices");
  box.textContent = choices.length ? "did you mean: " : "";
  for (const text of choices) {
    const button = document.createElement("button");
    button.className = "choice"; button.textContent = text;
    button.addEventListener("click", () => { document.getElementById("instruction").value = text; preview(); });
    box.append(button, " ");
  }
}

document.getElementById("submit").addEventListener("click", async () => {
  const files = document.getElementById("files").files;
  const instruction = document.getElementById("instruction").value;
  const said = document.getElementById("said");
  if (!files.length) { said.textContent = "choose a picture first"; return; }
  said.textContent = "";
  for (const file of files) {
    const form = new FormData();
    form.append("image", file); form.append("instruction", instruction);
    const res = await fetch("/v1/edits", {method: "POST", headers: auth(), body: form});
    const body = await res.json();
    if (!res.ok) { said.textContent = `${file.name}: ${body.error}`; continue; }
  }
  refresh();
});

async function picture(url) {
  const res = await fetch(url, {headers: auth()});
  return res.ok ? URL.createObjectURL(await res.blob()) : "";
}

async function render(job) {
  let div = shown.get(job.id);
  if (!div) {
    div = document.createElement("div"); div.className = "job"; div.dataset.id = job.id;
    div.innerHTML = `<h3></h3><p><span class="status"></span> <a class="download" hidden>download</a></p>
      <div class="compare" hidden><img class="before" alt="before"><img class="after" alt="after">
      <input type="range" min="0" max="100" value="50" aria-label="before/after"></div>
      <ul class="findings"></ul>`;
    const after = div.querySelector(".after");
    div.querySelector("input[type=range]").addEventListener("input", e => { after.style.clipPath = `inset(0 0 0 ${e.target.value}%)`; });
    shown.set(job.id, div);
  }
  div.querySelector("h3").textContent = `${job.kind === "batch" ? "batch" : job.instruction} · ${job.created_at}`;
  const status = div.querySelector(".status");
  if (status.textContent === job.status) return div;
  status.textContent = job.status; status.className = "status " + job.status;
  const result = job.result || {};
  const findings = div.querySelector(".findings"); findings.innerHTML = "";
  if (result.error) { const li = document.createElement("li"); li.className = "fail"; li.textContent = result.error; findings.append(li); }
  for (const f of (Array.isArray(result) ? [] : result.checks) || []) {
    const li = document.createElement("li"); li.className = f.passed ? "" : "fail";
    li.textContent = `${f.passed ? "ok" : "FAIL"} ${f.check}: ${f.message}`; findings.append(li);
  }
  const waiting = div.querySelector(".waiting") || div.insertBefore(document.createElement("p"), div.querySelector(".compare"));
  waiting.className = "waiting";
  waiting.textContent = {queued: "waiting to start…", running: "editing…", review: "waiting for a person's review"}[job.status] || "";
  if (job.status === "published" && job.kind === "edit") {
    const compare = div.querySelector(".compare");
    div.querySelector(".before").src = await picture(`/v1/edits/${job.id}/input`);
    const after = await picture(job.urls.output);
    const afterImg = div.querySelector(".after"), beforeImg = div.querySelector(".before");
    afterImg.src = after;
    await Promise.all([beforeImg, afterImg].map(i => i.decode().catch(() => null)));
    // a slider over the same frame; side by side when the edit changed the size (a crop)
    compare.classList.toggle("side", beforeImg.naturalWidth !== afterImg.naturalWidth || beforeImg.naturalHeight !== afterImg.naturalHeight);
    compare.hidden = false;
    const link = div.querySelector(".download"); link.href = after; link.download = `${job.id}.jpg`; link.hidden = false;
  }
  return div;
}

async function refresh() {
  if (!keyBox.value && !open) return;
  await templates();
  const res = await fetch("/v1/edits?limit=30", {headers: auth()});
  if (!res.ok) { jobs.innerHTML = `<p class="empty"></p>`; jobs.firstChild.textContent = (await res.json()).error; return; }
  const list = await res.json();
  if (!list.length) return;
  const divs = [];
  for (const job of list) divs.push(await render(job));
  jobs.replaceChildren(...divs);
  if (list.some(j => j.status === "queued" || j.status === "running")) setTimeout(refresh, 700);
}
fetch("/healthz").then(r => r.json()).then(h => {
  open = !h.auth;
  if (open) { keyBox.placeholder = "no key needed (--no-auth)"; refresh(); }
});
refresh();
"""

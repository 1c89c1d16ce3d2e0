"""The review page: pending edits with a before/after slider, and buttons that resume Prefect.

A small FastAPI app (FastAPI and uvicorn come with Prefect), a client of the Prefect API like
`retouch review list|approve|reject`: pending reviews are the suspended runs of the
`review-edit` flow, and a decision is `resume_flow_run(id, run_input=...)`. With
RETOUCH_REVIEW_TOKEN (or RETOUCH_REVIEW_TOKENS) set, every request must carry a token (header
X-Retouch-Token or ?token=), compared in constant time, except that a signed, unexpired link
from a review's Prefect form (tasks/infra/signed_links.py) may *view* that one review: its page, its
pictures and its findings. Deciding always takes a token.
"""

from __future__ import annotations

import hmac
import re
from typing import Any
from uuid import UUID

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from config.contracts import ReviewAnswer
from config.settings import Settings, get_settings
from tasks.check.risk import in_words
from tasks.infra.signed_links import link_is_valid, link_key
from tasks.infra.storage import StorageError, read_bytes
from tasks.pixels.formats import content_type, sniff_format

# what a signed link may open: one review's page, its pictures and its findings (GET only)
_SIGNED_VIEW = re.compile(r"/(?:review|image|api/reviews)/([0-9a-f-]{36})(?:/[a-z0-9-]+)?")


async def pending_reviews(with_paths: bool = False, starting: bool = False) -> list[dict[str, Any]]:
    """Suspended review-edit runs, oldest first, with what a reviewer needs to see; with
    `with_paths` (the command line, not the page) also where the pictures are; with `starting`
    also the runs asked for but not yet suspended (`"starting": true`: a batch that just ended
    starts its reviews; they can be decided a few seconds later)."""
    from prefect import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    states = [StateType.PAUSED]
    if starting:
        states += [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING]
    async with get_client() as client:
        runs = await client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["review-edit"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states))),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
        )
    pending = []
    for run in runs:
        item, result = run.parameters.get("item", {}), run.parameters.get("result", {})
        pending.append(
            {
                "id": str(run.id),
                "name": run.name,
                "item": item.get("id"),
                "instruction": item.get("instruction"),
                "route": result.get("route"),
                "test_model": (result.get("model") or {}).get("notice"),  # its output is noise
                "failed": in_words(
                    result.get("risk"), result.get("risk_threshold"), result.get("risk_drivers", [])
                )
                or [f"{f['check']}: {f['message']}" for f in result.get("checks", []) if not f.get("passed")],
                "since": run.state.timestamp.isoformat() if run.state else None,
                "starting": not (run.state and run.state.is_paused()),
                "candidates": [
                    {
                        "index": n,
                        "seed": c.get("seed"),
                        "verdict": c.get("verdict")
                        + (f", risk {c['risk']:.0%}" if c.get("risk") is not None else ""),
                        "chosen": c.get("output") == result.get("output"),
                        "failed": [f["check"] for f in c.get("findings", []) if not f.get("passed")],
                        **({"output": c.get("output")} if with_paths else {}),
                    }
                    for n, c in enumerate(result.get("candidates", []))
                    if c.get("output")
                ],
            }
        )
        if with_paths:
            pending[-1].update(
                before=item.get("image"), after=result.get("output"), out_dir=run.parameters.get("out_dir")
            )
    return pending


async def decide(run_id: UUID, decision: ReviewAnswer) -> None:
    from prefect.flow_runs import aresume_flow_run

    if decision.decision is None:
        raise HTTPException(422, "say approve, reject or re-edit")
    if decision.decision == "re-edit" and not (decision.instruction or "").strip():
        raise HTTPException(422, "a re-edit needs an instruction")
    if decision.candidate is not None:
        from prefect import get_client

        async with get_client() as client:
            run = await client.read_flow_run(run_id)
        tried = run.parameters.get("result", {}).get("candidates", [])
        if not (0 <= decision.candidate < len(tried) and tried[decision.candidate].get("output")):
            raise HTTPException(422, f"no candidate {decision.candidate}: this edit has {len(tried)} outputs")
    await aresume_flow_run(run_id, run_input=decision.model_dump())


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _host_name(header: str) -> str:
    """The name in a Host header, without its port ("[::1]:8765" -> "[::1]")."""
    return header.split("]")[0] + "]" if header.startswith("[") else header.rsplit(":", 1)[0]


def who_is(request: Request, shared: str | None, personal: dict[str, str]) -> str | None:
    """Who the request's token names: a reviewer's name (their own token), "" (the shared
    token, or no token configured: the name is the form's), or None (no valid token)."""
    given = (request.headers.get("x-retouch-token") or request.query_params.get("token") or "").encode()
    for name, token in personal.items():
        if hmac.compare_digest(given, token.encode()):
            return name
    if shared:
        return "" if hmac.compare_digest(given, shared.encode()) else None
    return None if personal else ""


def signed_view(request: Request, settings: Settings) -> bool:
    """A GET of one review's page, picture or findings through a valid signed link."""
    view = _SIGNED_VIEW.fullmatch(request.url.path)
    return (
        request.method == "GET"
        and view is not None
        and link_is_valid(link_key(settings), view.group(1), request.query_params)
    )


def create_app() -> FastAPI:
    app = FastAPI(title="Retouch review", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def guard(request: Request, call_next):
        settings = get_settings()
        host = _host_name(request.headers.get("host") or "")
        if host not in settings.review_hosts:  # a rebinding DNS name pointing at this machine
            return Response(f"unknown host {host!r} (RETOUCH_REVIEW_HOSTS)", status_code=421)
        if not request.url.path.startswith("/static/"):
            reviewer = who_is(request, settings.review_token, settings.review_tokens)
            if reviewer is None and not signed_view(request, settings):
                return Response("a valid review token (or an unexpired signed link) is required", 401)
            request.state.reviewer = reviewer
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.get("/", response_class=HTMLResponse)
    @app.get("/review/{run_id}", response_class=HTMLResponse)
    async def page(run_id: str | None = None) -> str:
        return PAGE

    @app.get("/static/review.js")
    async def script() -> Response:
        return Response(SCRIPT, media_type="text/javascript")

    @app.get("/static/review.css")
    async def style() -> Response:
        return Response(STYLE, media_type="text/css")

    @app.get("/api/reviews")
    async def reviews() -> list[dict[str, Any]]:
        return await pending_reviews()

    @app.get("/api/reviews/{run_id}")
    async def one_review(run_id: UUID) -> list[dict[str, Any]]:
        """That review if it still waits (a list of one), else an empty list."""
        return [r for r in await pending_reviews() if r["id"] == str(run_id)]

    @app.post("/api/reviews/{run_id}")
    async def post_decision(run_id: UUID, decision: ReviewAnswer, request: Request) -> dict[str, str]:
        if request.state.reviewer is None:  # a signed link shows a review; it cannot decide it
            raise HTTPException(401, "deciding takes a review token")
        if request.state.reviewer:  # a reviewer's own token names them: the form cannot
            decision = decision.model_copy(update={"reviewer": request.state.reviewer})
        elif decision.reviewer.strip() in ("", "anonymous"):  # the shared token: say who decides
            raise HTTPException(422, "say who decides: fill in your name (or use a token of your own)")
        await decide(run_id, decision)
        return {"id": str(run_id), "decision": decision.decision}

    @app.get("/image/{run_id}/{which}")
    async def image(run_id: UUID, which: str) -> Response:
        from prefect import get_client

        candidate = re.fullmatch(r"candidate-(\d)", which)
        if which not in ("before", "after") and not candidate:
            raise HTTPException(404)
        async with get_client() as client:
            run = await client.read_flow_run(run_id)
            flow = await client.read_flow(run.flow_id)
        if flow.name != "review-edit":  # only the pictures of reviews, nothing else
            raise HTTPException(404)
        params = run.parameters
        result = params.get("result", {})
        if candidate:
            tried = result.get("candidates", [])
            n = int(candidate.group(1))
            uri = tried[n].get("output") if n < len(tried) else None
        else:
            uri = params.get("item", {}).get("image") if which == "before" else result.get("output")
        if not uri:
            raise HTTPException(404)
        try:
            data = read_bytes(uri, get_settings().max_file_bytes)
        except StorageError as exc:
            raise HTTPException(404, str(exc)) from None
        fmt = sniff_format(data)  # what the bytes are, never what the name says
        if fmt is None:
            raise HTTPException(415, "not an image")
        return Response(
            data,
            media_type=content_type(fmt),
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )

    return app


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Retouch review</title>
<link rel="stylesheet" href="/static/review.css"></head>
<body>
<h1>Pending reviews</h1>
<div id="list"><p class="empty">Loading…</p></div>
<script src="/static/review.js"></script></body></html>
"""

STYLE = """ body{font-family:system-ui,sans-serif;margin:2rem;background:#f6f6f4;color:#222}
 .item{background:#fff;border-radius:8px;padding:1rem;margin-bottom:1.5rem;box-shadow:0 1px 3px #0002}
 .compare{position:relative;display:inline-block;max-width:100%}
 .compare img{display:block;max-width:min(720px,100%);height:auto}
 .compare .after{position:absolute;top:0;left:0;clip-path:inset(0 0 0 50%)}
 .compare input{width:100%}
 .why{color:#a33;font-size:.9rem} button{margin-right:.5rem;padding:.4rem 1rem}
 .empty{color:#666}
 .banner{background:#b00;color:#fff;font-weight:bold;padding:.5rem 1rem;border-radius:4px}
 .candidates{display:flex;gap:1rem;flex-wrap:wrap;margin:.5rem 0} .candidates figure{margin:0}
 .candidates img{display:block;width:220px;height:auto} .candidates figcaption{font-size:.85rem}
"""

SCRIPT = """const params = new URLSearchParams(location.search);
const token = params.get("token") || "";
const headers = {"Content-Type": "application/json", "X-Retouch-Token": token};
const only = location.pathname.startsWith("/review/") ? location.pathname.split("/")[2] : null;
// a signed link from the Prefect form: it shows this review; deciding asks for a token
const signed = params.get("sig") ? `?expires=${encodeURIComponent(params.get("expires"))}&sig=${encodeURIComponent(params.get("sig"))}` : "";
function q(id, part) { return `/image/${id}/${part}` + (token ? `?token=${encodeURIComponent(token)}` : signed); }
async function load() {
  const res = await fetch(only ? `/api/reviews/${only}${token ? "" : signed}` : "/api/reviews", {headers});
  const list = document.getElementById("list");
  if (!res.ok) { list.innerHTML = `<p class="empty">${res.status}: ${await res.text()}</p>`; return; }
  const items = (await res.json()).filter(r => !only || r.id === only);
  list.innerHTML = items.length ? "" : '<p class="empty">Nothing to review.</p>';
  for (const r of items) {
    const div = document.createElement("div");
    div.className = "item"; div.dataset.id = r.id; div.dataset.item = r.item;
    div.innerHTML = `<h2></h2><p class="banner" hidden></p><p class="instruction"></p><ul class="why"></ul>
      <div class="compare"><img class="before" alt="before"><img class="after" alt="after">
      <input type="range" min="0" max="100" value="50" aria-label="before/after"></div>
      <div class="candidates"></div>
      <p><input class="note" placeholder="note"> <input class="instr" placeholder="new instruction (re-edit)">
      <input class="who" placeholder="your name"> <input class="tok" type="password" placeholder="review token" hidden></p>
      <button class="approve">Approve</button><button class="reject">Reject</button>
      <button class="reedit">Re-edit</button> <span class="status"></span>`;
    div.querySelector("h2").textContent = r.item;
    if (r.test_model) { const b = div.querySelector(".banner"); b.hidden = false; b.textContent = `TEST MODEL: the "after" is noise. ${r.test_model}`; }
    if (!token && signed) div.querySelector(".tok").hidden = false;
    div.querySelector(".instruction").textContent = r.instruction;
    for (const why of r.failed) { const li = document.createElement("li"); li.textContent = why; div.querySelector(".why").append(li); }
    div.querySelector(".before").src = q(r.id, "before");
    div.querySelector(".after").src = q(r.id, "after");
    if (r.candidates.length > 1) {
      for (const c of r.candidates) {
        const fig = document.createElement("figure");
        fig.innerHTML = `<img alt="candidate"><figcaption><label><input type="radio" name="cand-${r.id}"> approve this one</label><br><span></span></figcaption>`;
        fig.querySelector("img").src = q(r.id, `candidate-${c.index}`);
        const radio = fig.querySelector("input"); radio.value = c.index; radio.checked = c.chosen;
        fig.querySelector("span").textContent = `seed ${c.seed}: ${c.verdict}` + (c.failed.length ? ` (${c.failed.join(", ")})` : "");
        div.querySelector(".candidates").append(fig);
      }
    }
    const after = div.querySelector(".after");
    div.querySelector("input[type=range]").addEventListener("input", e => { after.style.clipPath = `inset(0 0 0 ${e.target.value}%)`; });
    for (const [cls, decision] of [["approve", "approve"], ["reject", "reject"], ["reedit", "re-edit"]]) {
      div.querySelector("." + cls).addEventListener("click", () => send(div, decision));
    }
    list.append(div);
  }
}
async function send(div, decision) {
  const body = {decision, note: div.querySelector(".note").value,
                instruction: div.querySelector(".instr").value || null,
                reviewer: div.querySelector(".who").value.trim()};
  const picked = div.querySelector(".candidates input:checked");
  if (picked) body.candidate = Number(picked.value);
  const asked = div.querySelector(".tok").value;
  const sent = asked ? {...headers, "X-Retouch-Token": asked} : headers;
  const res = await fetch(`/api/reviews/${div.dataset.id}`, {method: "POST", headers: sent, body: JSON.stringify(body)});
  div.querySelector(".status").textContent = res.ok ? `${decision}: sent` : `failed: ${await res.text()}`;
  if (res.ok) { div.querySelectorAll("button").forEach(b => b.disabled = true); div.classList.add("done"); }
}
load();
"""

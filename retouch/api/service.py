"""What the HTTP API does behind its routes: admit a key's request, run an edit now or queue it,
and tell how a job went. The same path as every other request: router -> OpenCV or the model
-> checks -> publish or review -> ledger, each edit a Prefect task run (`edit <job id>`) and
each batch a flow run, with `who` = `api:<key name>`.

Each job has a folder of its own (RETOUCH_DATA_DIR/api/jobs/<id>/): its inputs, its outputs
(published/ or review/, content-addressed) and results.jsonl, which a review decision rewrites,
so a job's status follows the person's decision too.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from config.contracts import Item, ItemResult
from config.settings import Settings
from retouch.api.errors import BadInput, Refused
from retouch.api.hooks import Hooks, job_event
from retouch.api.models import JobUrls, JobView
from routing import route
from tasks.infra.errors import one_line
from tasks.infra.signed_links import link_is_valid, sign_query
from tasks.pixels.formats import EXTENSIONS, content_type, sniff_format
from tasks.record.ledger import api as store
from tasks.record.ledger.costs import day_start
from tasks.record.results import write_results_file

LINK_SECONDS = 24 * 3600  # how long an output URL of /v1/images/edits stays valid
KEEP_S = 2.0  # how often leases are renewed and checked, and reviews followed
MAX_ATTEMPTS = 2  # runs of one job whose process died before it is failed
log = logging.getLogger("retouch.api")


def fingerprint(request: dict[str, Any], inputs: list[bytes]) -> str:
    """What makes two edit requests the same edit: the pictures, the instruction and parameters,
    and where its outcome goes (a webhook); not how it was asked (sync or queued, the URL)."""
    same = {k: request.get(k) for k in ("instruction", "seed", "format", "webhook")}
    digest = hashlib.sha256(json.dumps(same, sort_keys=True, ensure_ascii=False).encode())
    for data in inputs:
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


class RateLimiter:
    """At most `per_minute` requests per key in any 60 s (a sliding window, in this process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.seen: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self.lock = threading.Lock()

    def admit(self, key: str) -> None:
        now = time.monotonic()
        with self.lock:
            window = self.seen[key]
            while window and now - window[0] >= 60:
                window.popleft()
            if len(window) >= self.per_minute:
                wait = max(1, int(60 - (now - window[0])) + 1)
                raise Refused(
                    429,
                    f"rate limit: {self.per_minute} requests a minute for this key",
                    {"Retry-After": str(wait)},
                )
            window.append(now)


class Service:
    """One API process: its settings, Prefect API, job threads and limits."""

    def __init__(self, settings: Settings, prefect: Any, auth: bool = True) -> None:
        self.settings, self.prefect, self.auth = settings, prefect, auth
        self.url = settings.ledger_url
        self.root = settings.data_dir / "api"
        self.limiter = RateLimiter(settings.api_rate_per_minute)
        self.pool = ThreadPoolExecutor(settings.api_workers, thread_name_prefix="api-job")
        self.hooks = Hooks(self.url, settings.webhook_secret)
        self.running: dict[str, int] = {}  # job id -> attempt, of the jobs this process runs (it
        # beats on their leases)
        self.stopping = threading.Event()
        self.keeper = threading.Thread(target=self._keep, name="api-keeper", daemon=True)
        self.loading: threading.Thread | None = None
        self.load_seconds: float | None = None
        self.link_key = self._link_key()

    # ------------------------------------------------------------------ keys, limits, admission

    def key_of(self, token: str | None) -> str | None:
        """The key's name for a bearer token (None: not a valid key); `anonymous` without auth.
        Keys are read at each request, so one created or revoked counts at once; one created
        while this process serves --no-auth switches auth on for good, and says so."""
        if not self.auth and store.any_keys(self.url):
            self.auth = True
            log.warning("an API key exists now: auth is on (--no-auth no longer applies)")
        if not self.auth:
            return "anonymous"
        return store.key_name(self.url, token) if token else None

    def admit(self, key: str) -> None:
        """Refuse (429) an edit of a key over its daily spending quota."""
        quota = store.key_quota(self.url, key) if self.auth else None
        quota = quota if quota is not None else self.settings.api_daily_usd
        if quota is None:
            return
        start = day_start(self.settings.budget_timezone)
        spent = store.spent_since(self.url, key, start)
        if spent >= quota:
            wait = int((start + timedelta(days=1) - datetime.now(UTC)).total_seconds()) + 1
            raise Refused(
                429, f"daily spending quota reached: ${spent:.4f} of ${quota:g}", {"Retry-After": str(wait)}
            )

    def plan(self, instruction: object) -> Any:
        """The plan of an instruction, or 400 (empty, refused) before anything is queued."""
        if not isinstance(instruction, str) or not instruction.strip():
            raise BadInput("instruction: say what to change, e.g. 'crop to 1:1' or '把背景换成纯白'")
        plan = route(instruction, limits=self.settings.limits)
        if plan.route == "reject":
            raise BadInput(f"instruction rejected: {plan.reason}")
        return plan

    def model_ready(self, wait: bool) -> None:
        """For a model edit: the model is loaded, or loads now (`wait`), or 503 while it loads;
        nothing to do here when the GPU task worker holds it (the edit waits for the worker)."""
        from tasks.edit import qwen

        if self.settings.model_worker == "task-worker":
            return
        config = self.settings.qwen_config
        if qwen.is_loaded(config):
            return
        try:
            qwen.resolve_weights(config.model, config.allow_download)
        except (qwen.ModelError, ImportError) as exc:
            raise Refused(503, f"the image model is unavailable: {exc}") from None
        if wait:
            self._load(config)
            return
        if self.loading is None or not self.loading.is_alive():
            self.loading = threading.Thread(target=self._load, args=(config,), daemon=True)
            self.loading.start()
        estimate = self.load_seconds or self.settings.api_model_load_estimate_seconds
        raise Refused(
            503,
            f"Model {config.model} is currently loading",
            {"Retry-After": str(int(estimate) + 1)},
            estimated_time=float(estimate),
        )

    def _load(self, config: Any) -> None:
        from tasks.edit import qwen

        started = time.perf_counter()
        try:
            qwen.get_model(config)
        except qwen.ModelError:
            return  # the edit itself will say why, as a failed result
        self.load_seconds = time.perf_counter() - started

    # ------------------------------------------------------------------ jobs

    def new_job(
        self, key: str, kind: str, request: dict[str, Any], inputs: list[bytes], client_id: str | None
    ) -> tuple[dict[str, Any], bool]:
        """A job with its inputs written into its folder; (the earlier job, False) for a repeated
        client id, or for an edit this key already sent that waits for review (the same picture,
        instruction and parameters: a client's retry joins the review, it opens no other)."""
        if kind == "edit":
            request = {**request, "fingerprint": fingerprint(request, inputs)}
            waiting = self._waiting_review(key, request["fingerprint"])
            if waiting is not None:
                return waiting, False
        job, created = store.create_job(self.url, key, kind, request, client_id)
        if created:
            folder = self.folder(job["id"])
            folder.mkdir(parents=True, exist_ok=True)
            for n, data in enumerate(inputs):
                (folder / f"input-{n}{EXTENSIONS.get(sniff_format(data) or '', '.bin')}").write_bytes(data)
        return job, created

    def _waiting_review(self, key: str, print_: str) -> dict[str, Any] | None:
        return next(
            (j for j in store.jobs_in(self.url, "review", key) if j["request"].get("fingerprint") == print_),
            None,
        )

    def folder(self, job_id: str) -> Path:
        return self.root / "jobs" / job_id

    def inputs(self, job_id: str) -> list[Path]:
        return sorted(self.folder(job_id).glob("input-*"), key=lambda p: int(p.stem.split("-")[1]))

    def edit_now(self, job: dict[str, Any]) -> ItemResult:
        """Run an edit job in this thread (a synchronous request); its result (the one it has
        when it already waits for review: a retry)."""
        if job["status"] == "review":
            return ItemResult.model_validate(job["result"])
        attempt = store.take_job(self.url, job["id"])
        if attempt is None:  # a fresh job leaves `queued` before this only when cancelled
            return ItemResult(id=job["id"], status="failed", error="the job was cancelled before it ran")
        self.running[job["id"]] = attempt
        try:
            result = self._edit(job)
        finally:
            self.running.pop(job["id"], None)
        store.finish_job(self.url, job["id"], attempt, result.status, result.to_dict())
        return result

    def enqueue(self, job_id: str) -> None:
        self.pool.submit(self._run, job_id)

    def take_up_queued(self) -> int:
        """Queue the jobs left waiting when an API process stopped (and take back those it was
        running, once their leases are out)."""
        waiting = store.jobs_in(self.url, "queued")
        for job in waiting:
            self.enqueue(job["id"])
        return len(waiting) + self.recover()

    def _run(self, job_id: str) -> None:
        attempt = store.take_job(self.url, job_id)
        if attempt is None:
            return  # cancelled, or taken by another API process
        job = store.get_job(self.url, job_id)
        self.running[job_id] = attempt
        try:
            if job["kind"] == "batch":
                status, result = "published", [r.to_dict() for r in self._batch(job)]
            else:
                edited = self._edit(job)
                status, result = edited.status, edited.to_dict()
        except Exception as exc:  # the job fails, with why; the API lives on
            status, result = "failed", {"error": one_line(exc)}
        try:
            self._announce({**job, "status": status, "result": result}, "edit.completed")
            if not store.finish_job(self.url, job_id, attempt, status, result):
                log.warning(
                    "job %s: its lease ran out while it ran here; the run that took it back ends it", job_id
                )
        finally:
            self.running.pop(job_id, None)
        self.hooks.pump()

    def _announce(self, job: dict[str, Any], event: str) -> None:
        """Queue the message telling the job's own webhook, if it named one, of the state it is
        about to be in: written before that state is (and once per job and event), so a process
        that dies between the two leaves a message the next one delivers, never a lost one; the
        senders deliver it at the next pump, after the state is written."""
        hook, base = job["request"].get("webhook"), job["request"].get("base_url")
        if hook and job["kind"] == "edit":
            signed = (lambda job_id: self.signed_output(base, job_id)) if base else (lambda job_id: None)
            self.hooks.queue(hook, event, job_event(job, signed))

    def start_keeping(self) -> None:
        """Until close(), every KEEP_S: beat on the leases of the jobs this process runs, take
        back the jobs whose process stopped beating, and follow the ones waiting for a person."""
        self.keeper.start()

    def _keep(self) -> None:
        while not self.stopping.wait(KEEP_S):
            try:
                store.beat(self.url, dict(self.running))
                self.recover()
                self.hooks.pump()  # webhooks due again, or left by a process that died
                for job in store.jobs_in(self.url, "review"):
                    self.current(job)
            except Exception as exc:  # a database hiccup: the next round tries again
                log.warning("keeping the jobs: %s", one_line(exc))

    def recover(self) -> int:
        """The running jobs whose process died (its lease ran out): queued again, once (outputs
        are content-addressed: a second run writes the same files); failed with why when that
        run died too, or when the request that waited for it is gone (a synchronous one)."""
        lease = self.settings.api_job_lease_seconds
        taken = 0
        for job in store.orphaned_jobs(self.url, lease):
            if job["request"].get("sync"):
                why = "the API process running it stopped; the client's request is gone: send it again"
            elif job["attempts"] >= MAX_ATTEMPTS:
                why = f"the API process running it stopped, {job['attempts']} times"
            else:
                why = None
            if why is None and store.release(self.url, job["id"], "queued", None, lease):
                log.warning("job %s: its API process stopped; run again", job["id"])
                self.enqueue(job["id"])
                taken += 1
            elif why:
                self._announce({**job, "status": "failed", "result": {"error": why}}, "edit.completed")
                taken += store.release(self.url, job["id"], "failed", {"error": why}, lease)
        return taken

    def _edit(self, job: dict[str, Any]) -> ItemResult:
        from flows.single import edit_one

        request = job["request"]
        sources = self.inputs(job["id"])
        if not sources:
            raise BadInput("the job has no input image")
        item = Item(
            id=job["id"],
            image=str(sources[0]),
            references=[str(s) for s in sources[1:]],  # pictures 2, 3... of a multi-image edit
            instruction=request["instruction"],
            seed=request.get("seed"),
            format=request.get("format"),
            requested_by=f"api:{job['key']}",
            own_folder=True,
        )
        with self.prefect.in_this_thread():  # the job's own webhook: the API's (_announce)
            result = edit_one(item, str(self.folder(job["id"])), self.settings)
        write_results_file([result], str(self.folder(job["id"])))  # a review decision rewrites it
        return result

    def _batch(self, job: dict[str, Any]) -> list[ItemResult]:
        from flows.catalog import catalog_refresh
        from flows.edit import edit_batch

        request, folder = job["request"], str(self.folder(job["id"]))
        who = f"api:{job['key']}"
        with self.prefect.in_this_thread():
            if request.get("manifest"):
                return catalog_refresh(manifest_uri=request["manifest"], out_uri=folder, requested_by=who)
            sources = iter(self.inputs(job["id"]))
            items = []
            for n, row in enumerate(request["items"]):
                image = str(next(sources)) if not row.get("error") else None
                items.append(
                    Item(
                        id=row.get("id") or f"item-{n + 1}",
                        image=image,
                        instruction=row.get("instruction"),
                        error=row.get("error"),
                        requested_by=who,
                    )
                )
            return edit_batch(items=items, out_dir=folder, requested_by=who)

    def current(self, job: dict[str, Any]) -> dict[str, Any]:
        """The job now: an edit that waited for review takes the person's decision (written by
        the review flow into its results.jsonl), and its webhook hears of it once: whichever
        process moves the status first sends it."""
        if job["status"] == "review" and job["kind"] == "edit":
            line = self._results_line(job["id"])
            if line and line.get("status") != "review":
                decided = {**job, "status": line["status"], "result": line}
                self._announce(decided, "edit.reviewed")  # once, whichever process gets here
                if store.update_job(self.url, job["id"], line["status"], line, only_if=("review",)):
                    self.hooks.pump()
                return decided
        return job

    def job_view(self, job: dict[str, Any], base: str) -> JobView:
        """The job as a client sees it: its status now and its URLs."""
        job = self.current(job)
        at = f"{base}/v1/edits/{job['id']}"
        return JobView(
            id=job["id"],
            status=job["status"],
            kind=job["kind"],
            created_at=job["created_at"],
            updated_at=job["updated_at"],
            instruction=job["request"].get("instruction"),
            result=job["result"],
            urls=JobUrls(get=at, cancel=f"{at}/cancel", output=f"{at}/output"),
        )

    def _results_line(self, job_id: str) -> dict[str, Any] | None:
        path = self.folder(job_id) / "results.jsonl"
        try:
            return json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def owned(self, job_id: str, key: str) -> dict[str, Any]:
        job = store.get_job(self.url, job_id)
        if job is None or job["key"] != key:
            raise Refused(404, f"no job {job_id} for this key")
        return job

    def cancel(self, job_id: str, key: str) -> dict[str, Any]:
        job = self.owned(job_id, key)
        if store.update_job(self.url, job_id, "cancelled", only_if=("queued",)):
            return store.get_job(self.url, job_id)
        if job["status"] == "running":
            raise Refused(409, "the job is running: it cannot be cancelled any more")
        return job

    def output(self, job: dict[str, Any]) -> tuple[bytes, str]:
        """The published picture of an edit job (409 while it waits, 404 when there is none)."""
        if job["kind"] == "batch":
            raise Refused(404, "a batch has one output per item: see the `output` of each line of its result")
        result = job["result"] or {}
        if job["status"] in ("queued", "running"):
            raise Refused(409, f"the job is {job['status']}: no output yet")
        if job["status"] == "review":
            raise Refused(409, "the edit waits for a person's review: no published output yet")
        if job["status"] != "published" or not result.get("output"):
            raise Refused(404, f"the job ended {job['status']}: {result.get('error') or 'no output'}")
        data = Path(result["output"]).read_bytes()
        return data, content_type(sniff_format(data) or "png")

    # ------------------------------------------------------------------ signed output links

    def _link_key(self) -> bytes:
        path = self.root / "link-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_bytes(secrets.token_bytes(32))
        return path.read_bytes()

    def signed_output(self, base: str, job_id: str) -> str:
        return f"{base}/v1/files/{job_id}{sign_query(self.link_key, job_id, LINK_SECONDS)}"

    def link_valid(self, job_id: str, query: Any) -> bool:
        return link_is_valid(self.link_key, job_id, query)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)  # the keeper beats on their leases meanwhile
        self.stopping.set()
        self.hooks.close()

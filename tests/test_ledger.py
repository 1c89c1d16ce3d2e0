"""The ledger on SQLite and PostgreSQL, `retouch cost`, the edit cache and the GPU budget."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from config.contracts import Cost, ItemResult, ReviewDecision
from tasks.record.ledger.cache import cached_edit, remember_edit
from tasks.record.ledger.costs import record_batch, record_review, totals
from tasks.record.ledger.db import HEAD_REVISION, MIGRATIONS, edit_cache, engine_for, now
from tasks.record.ledger.deferred import pending_deferred
from tasks.record.ledger.uploads import claim_upload, due_uploads, finish_upload
from tests.helpers import IMAGES

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_available() -> bool:
    try:
        with create_engine(POSTGRES).connect() as connection:
            connection.execute(text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh ledger database: a SQLite file, or a schema of its own in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    if not postgres_available():
        pytest.skip("no PostgreSQL on 127.0.0.1:5432")
    schema = f"retouch_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES)
    with admin.begin() as connection:
        connection.execute(text(f'create schema "{schema}"'))
    yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'drop schema "{schema}" cascade'))


def test_schema_is_created_by_migrations(db_url):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    engine = engine_for(db_url)
    tables = set(inspect(engine).get_table_names())
    assert {"ledger", "audit", "edit_cache", "deferred", "uploads", "retouch_alembic_version"} <= tables
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert HEAD_REVISION == head  # a new migration updates the constant that skips Alembic
    with engine.connect() as connection:
        assert connection.execute(text("select version_num from retouch_alembic_version")).scalar() == head


def test_a_database_behind_the_newest_schema_is_migrated_when_opened(db_url):
    """Opening a database already at the newest revision skips Alembic; one revision behind
    must still be brought up to date."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with create_engine(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    assert "references" not in {c["name"] for c in inspect(create_engine(db_url)).get_columns("audit")}
    engine = engine_for(db_url)
    with engine.connect() as connection:
        assert connection.execute(text("select version_num from retouch_alembic_version")).scalar() == (
            HEAD_REVISION
        )
    assert "references" in {c["name"] for c in inspect(engine).get_columns("audit")}


def _claim_when_all_are_ready(url: str, start, n: int, outcomes) -> None:
    start.wait()
    try:
        outcomes.put(claim_upload(url, "bucket", f"key-{n}", "etag", None, 60))
    except Exception as exc:
        outcomes.put(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")


def test_processes_opening_a_new_database_at_once_all_get_it(db_url):
    """A worker starting several runs opens a new ledger from several processes at once: each
    one must find the schema made (once) and its claim taken, not 'table exists' or a false
    'already claimed' from the other process's migration."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    start, outcomes = context.Barrier(4), context.Queue()
    processes = [
        context.Process(target=_claim_when_all_are_ready, args=(db_url, start, n, outcomes)) for n in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert sorted(map(str, (outcomes.get(timeout=5) for _ in processes))) == ["True"] * 4


def test_the_same_edit_remembered_by_two_processes_at_once_keeps_the_first(db_url):
    """Two workers finishing the same model edit together: the second one's insert meets the
    first one's row between its look-up and its insert, and must not fail the item."""
    from sqlalchemy import event

    engine = engine_for(db_url)
    other_worker = create_engine(db_url)

    raced = []

    def first_worker_commits_now(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().lower().startswith("insert into edit_cache") and not raced:
            raced.append(statement)
            with other_worker.begin() as connection:
                connection.execute(
                    edit_cache.insert().values(
                        key="k",
                        at=now(),
                        output="first.png",
                        result={"id": "first", "status": "published"},
                    )
                )

    event.listen(engine, "before_cursor_execute", first_worker_commits_now)
    try:
        remember_edit(db_url, "k", "second.png", ItemResult(id="second", status="published"))
    finally:
        event.remove(engine, "before_cursor_execute", first_worker_commits_now)
        other_worker.dispose()
    assert raced and cached_edit(db_url, "k") == {"id": "first", "status": "published"}


def test_totals_per_path_day_and_batch(db_url):
    results = [
        ItemResult(
            id="a", status="published", route="opencv", cost=Cost(path="opencv", cpu_s=0.02, usd=2e-7)
        ),
        ItemResult(
            id="b",
            status="review",
            route="model",
            model={"model": "m", "seed": 3},
            cost=Cost(path="model", gpu_s=4.0, gpu_type="NVIDIA H100", cpu_s=0.5, usd=0.0028),
            requested_by="cli:bob",
        ),
        ItemResult(id="c", status="rejected", route="reject"),
    ]
    assert record_batch(db_url, results, "batch-1", "v1") == 2
    record_review(
        db_url, "b", "run-9", ReviewDecision(decision="approve", reviewer="alice"), 2.0, 0.6667, "v1"
    )
    report = totals(db_url)
    assert report["by_path"]["opencv"]["items"] == 1
    assert report["by_path"]["model"]["gpu_s"] == 4.0
    assert report["by_path"]["review"]["review_min"] == 2.0
    assert report["total_usd"] == pytest.approx(2e-7 + 0.0028 + 0.6667)
    assert "groups" not in report  # by path, the groups would only repeat by_path
    # delivered: what reached the shop (the model edit only once a person approved it)
    assert [report["by_path"][p]["delivered"] for p in ("opencv", "model", "review")] == [1, 0, 1]
    by_batch = totals(db_url, by="batch")["groups"]
    assert set(by_batch) == {"batch-1", "run-9"}
    assert by_batch["batch-1"]["first_at"] <= by_batch["batch-1"]["last_at"]
    with engine_for(db_url).connect() as connection:
        trail = connection.execute(text("select item, event, seed, who from audit order by id")).all()
    assert [tuple(row) for row in trail] == [("b", "edit", 3, "cli:bob"), ("b", "decision", None, "alice")]


def test_cost_json_equals_the_sum_of_the_batch(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("RETOUCH_DB_URL", f"sqlite:///{tmp_path / 'l.db'}")
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "id,image,instruction\n"
        f"a,{IMAGES / 'coffee.png'},crop to 1:1\n"
        f"b,{IMAGES / 'rocket.jpg'},旋转90度\n"
        f"c,{IMAGES / 'coffee.png'},今天天气怎么样\n",
        encoding="utf-8",
    )
    code, _, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    results = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    code, out, _ = run_cli("cost", "--json")
    report = json.loads(out)
    assert code == 0 and set(report["by_path"]) == {"opencv", "model", "review"}
    assert report["total_usd"] == pytest.approx(sum(r["cost"]["usd"] for r in results))
    assert report["by_path"]["opencv"]["items"] == 2
    assert report["by_path"]["opencv"]["cpu_s"] == pytest.approx(
        sum(r["cost"].get("cpu_s", 0) for r in results)
    )
    assert report["cache_hits"] == 0
    assert report["saving_usd"] == pytest.approx(2 * 0.0004 - report["total_usd"], abs=1e-6)
    code, out, _ = run_cli("cost", "--by", "day")
    assert code == 0 and "cost by day" in out
    assert run_cli("cost", "--since", "yesterday")[0] == 2
    # a batch is shown by its flow run's name and date, not a cut-off id
    from prefect import get_client

    with engine_for(f"sqlite:///{tmp_path / 'l.db'}").connect() as connection:
        (batch,) = {row[0] for row in connection.execute(text("select batch from ledger"))}
    with get_client(sync_client=True) as client:
        name = client.read_flow_run(batch).name
    code, out, _ = run_cli("cost", "--by", "batch")
    assert code == 0 and f"{name} (20" in out and batch not in out, out
    code, out, _ = run_cli("cost", "--by", "batch", "--json")
    assert json.loads(out)["groups"][batch]["name"] == name


def test_cost_says_a_loss_plainly(run_cli, tmp_path, monkeypatch):
    db_url = f"sqlite:///{tmp_path / 'l.db'}"
    monkeypatch.setenv("RETOUCH_DB_URL", db_url)
    opencv = ItemResult(id="a", status="published", route="opencv", cost=Cost(path="opencv", usd=1e-6))
    record_batch(db_url, [opencv], "batch-1", "v1")
    code, out, _ = run_cli("cost")
    assert code == 0 and "Retouch saved $0.0004" in out and "1 edits delivered" in out
    # a model edit a person had to approve: the review costs more than a hosted edit
    model = ItemResult(id="b", status="review", route="model", cost=Cost(path="model", gpu_s=2, usd=0.0014))
    record_batch(db_url, [model], "batch-2", "v1")
    decision = ReviewDecision(decision="approve", reviewer="alice")
    record_review(db_url, "b", "run-2", decision, 2.0, 0.6667, "v1")
    code, out, _ = run_cli("cost")
    assert code == 0 and "saved $-" not in out
    assert "Retouch cost $0.6377 more than hosted APIs would have: 1 human review at $0.67 each" in out
    assert "(2 min at $20/h) cost more than a hosted AI edit ($0.03)" in out


@pytest.fixture
def tiny(tmp_path_factory, monkeypatch):
    pytest.importorskip("diffusers")
    from tasks.edit.qwen.tiny import make_tiny

    folder = make_tiny(tmp_path_factory.mktemp("ledger-model") / "tiny")
    monkeypatch.setenv("RETOUCH_MODEL", str(folder))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    return folder


def test_a_repeated_model_edit_is_a_cache_hit(run_cli, tiny, tmp_path):
    from tasks.edit import qwen

    args = ("edit", str(IMAGES / "coffee.png"), "把杯子换成一杯绿茶", "--json")
    code, out, _ = run_cli(*args, "-o", str(tmp_path / "one.png"))
    first = json.loads(out)
    assert code == 0 and not first["cache_hit"]
    calls = qwen.loads()
    code, out, _ = run_cli(*args, "-o", str(tmp_path / "two.png"))
    second = json.loads(out)
    assert second["cache_hit"] and second["cost"]["gpu_s"] == 0 and second["cost"]["usd"] == 0
    assert second["model"]["seed"] == first["model"]["seed"]
    assert qwen.loads() == calls
    assert (tmp_path / "one.png").read_bytes() == (tmp_path / "two.png").read_bytes()
    code, out, _ = run_cli("cost", "--json")
    assert json.loads(out)["cache_hits"] == 1


def test_budget_defers_model_edits_and_runs_them_later(run_cli, tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("RETOUCH_DAILY_GPU_BUDGET_USD", "1e-12")  # spent by the first edit
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps(row, ensure_ascii=False)
            for row in [
                {"id": "first", "image": str(IMAGES / "coffee.png"), "instruction": "add a hat"},
                {"id": "plain", "image": str(IMAGES / "coffee.png"), "instruction": "crop to 1:1"},
                {"id": "later", "image": str(IMAGES / "rocket.jpg"), "instruction": "add a hat"},
            ]
        ),
        encoding="utf-8",
    )
    code, _, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").open())}
    assert rows["plain"]["status"] == "published"  # OpenCV is not on the GPU budget
    statuses = sorted(rows[i]["status"] for i in ("first", "later"))
    assert statuses == ["deferred", "review"]
    deferred_id = next(i for i in ("first", "later") if rows[i]["status"] == "deferred")
    assert "budget" in rows[deferred_id]["error"] and not rows[deferred_id]["output"]

    code, out, _ = run_cli("run", "--deferred")  # still no budget today: nothing runs
    assert code == 0 and "0 items" in out
    monkeypatch.setenv("RETOUCH_DAILY_GPU_BUDGET_USD", "100")  # a new day, a bigger budget
    from config.settings import get_settings

    get_settings.cache_clear()  # (a new `retouch` process would read it afresh)
    code, out, err = run_cli("run", "--deferred")
    assert code == 0, err
    rows = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").open())}
    assert len(rows) == 3 and rows[deferred_id]["status"] == "review"
    assert Path(rows[deferred_id]["output"]).exists()
    assert pending_deferred(get_settings().ledger_url) == []


def test_a_cache_hit_is_written_under_this_items_own_folder_with_its_own_label(run_cli, tiny, tmp_path):
    from tasks.pixels.images import load_image
    from tasks.record.labels import read_aigc
    from tests.test_labels import xmp_of

    for name in ("a", "b"):
        (tmp_path / f"{name}.csv").write_text(
            f"id,image,instruction\n{name},{IMAGES / 'coffee.png'},把杯子换成一杯绿茶\n", encoding="utf-8"
        )
        code, _, err = run_cli("run", str(tmp_path / f"{name}.csv"), "--out", str(tmp_path / f"out{name}"))
        assert code == 0, err
    a, b = (json.loads((tmp_path / f"out{n}" / "results.jsonl").read_text()) for n in ("a", "b"))
    assert b["cache_hit"] and not a["cache_hit"]
    assert Path(b["output"]).is_relative_to(tmp_path / "outb" / "review" / "b"), b["output"]
    assert read_aigc(xmp_of(b["output"]))["PropagateID"] == "b"
    assert read_aigc(xmp_of(a["output"]))["PropagateID"] == "a"
    same = [load_image(Path(r["output"]).read_bytes()).pixels for r in (a, b)]
    assert (same[0] == same[1]).all()  # the same edit, not another one
    # the candidates tried survive the cache hit, their pictures beside b's own output
    assert [c["seed"] for c in b["candidates"]] == [c["seed"] for c in a["candidates"]] and b["candidates"]
    for c in b["candidates"]:
        assert c["output"] is None or Path(c["output"]).is_relative_to(tmp_path / "outb" / "review" / "b")
        assert c["output"] is None or Path(c["output"]).exists()
    assert b["model"]["notice"] and "noise" in b["model"]["notice"]  # the test model says so


def test_the_budget_day_starts_at_midnight_where_the_schedules_run():
    from datetime import UTC, datetime

    from tasks.record.ledger.costs import day_start

    evening = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # already the 26th in Shanghai (01:00)
    assert day_start("Asia/Shanghai", evening) == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    morning = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 on the 25th in Shanghai
    assert day_start("Asia/Shanghai", morning) == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert day_start("UTC", evening) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def test_a_crash_while_running_deferred_items_leaves_them_pending(prefect_api, tmp_path, monkeypatch):
    import flows.deferred
    from config.contracts import Item, Job
    from config.settings import get_settings
    from routing import route
    from tasks.record.ledger.deferred import defer, pending_deferred

    url = get_settings().ledger_url
    job = Job(
        item=Item(id="later", image=str(IMAGES / "coffee.png"), instruction="add a hat"),
        plan=route("add a hat"),
    )
    defer(url, job, str(tmp_path / "out"))

    def crash(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(flows.deferred, "run_batch", crash)
    with pytest.raises(RuntimeError, match="worker lost"):
        flows.deferred.run_deferred()
    assert [j.item.id for _, _, j in pending_deferred(url)] == ["later"]  # not lost


def test_an_upload_claim_is_a_lease(db_url, monkeypatch):
    import tasks.record.ledger.uploads as leases

    clock = [now()]
    monkeypatch.setattr(leases, "now", lambda: clock[0])
    obj = (db_url, "shop", "incoming/a.png", "etag-1")

    def later(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    assert claim_upload(*obj, "run-1", 60)
    assert not claim_upload(*obj, "run-2", 60)  # a redelivered event while run-1 holds it
    later(61)  # run-1 was SIGKILLed: its lease expires
    assert due_uploads(db_url) == [obj[1:]]
    assert claim_upload(*obj, "run-3", 60) and not claim_upload(*obj, "run-4", 60)  # one taker
    # run-1 wakes up late: it was taken over, it records nothing
    assert finish_upload(*obj, "run-1", None, 3, 10) == "running"
    assert finish_upload(*obj, "run-3", "S3 said 500", 3, 10) == "retry"  # attempt 2 failed
    assert not claim_upload(*obj, "run-5", 60)  # backing off: 10 s x 2
    later(21)
    assert claim_upload(*obj, "run-6", 60)  # attempt 3
    assert finish_upload(*obj, "run-6", "S3 said 500", 3, 10) == "failed"  # the limit
    later(10_000)
    assert not claim_upload(*obj, "run-7", 60) and due_uploads(db_url) == []
    other = (db_url, "shop", "incoming/b.png", "etag-1")
    assert claim_upload(*other, "run-8", 60) and finish_upload(*other, "run-8", None, 3, 10) == "done"
    assert not claim_upload(*other, "run-9", 60)  # done: never edited twice


def test_an_api_job_lease_is_fenced_by_its_attempt(db_url, monkeypatch):
    """A process whose lease ran out (a stall, a database outage longer than the lease) cannot
    renew it or end the job once another process took it back: the attempt is the fence."""
    import tasks.record.ledger.api as jobs

    clock = [now()]
    monkeypatch.setattr(jobs, "now", lambda: clock[0])
    job, _ = jobs.create_job(db_url, "k", "edit", {"instruction": "flip"}, None)
    first = jobs.take_job(db_url, job["id"])
    assert first == 1 and jobs.take_job(db_url, job["id"]) is None  # one taker
    clock[0] += timedelta(seconds=61)  # the first process stops beating
    assert [j["id"] for j in jobs.orphaned_jobs(db_url, 60)] == [job["id"]]
    assert jobs.release(db_url, job["id"], "queued", None, 60)
    second = jobs.take_job(db_url, job["id"])
    assert second == 2
    jobs.beat(db_url, {job["id"]: first})  # the first wakes up: its beat renews nothing ...
    clock[0] += timedelta(seconds=61)
    assert jobs.orphaned_jobs(db_url, 60)  # (the second did not beat either)
    jobs.beat(db_url, {job["id"]: second})
    assert not jobs.orphaned_jobs(db_url, 60)
    assert not jobs.finish_job(db_url, job["id"], first, "failed", {"error": "late"})  # ... nor ends it
    assert jobs.finish_job(db_url, job["id"], second, "published", {"output": "x.png"})
    ended = jobs.get_job(db_url, job["id"])
    assert (ended["status"], ended["result"], ended["attempts"]) == ("published", {"output": "x.png"}, 2)
    assert not jobs.finish_job(db_url, job["id"], second, "failed", {"error": "twice"})  # ends once

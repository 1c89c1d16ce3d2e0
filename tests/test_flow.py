"""The batch flow on a real Prefect API: chunks, artifacts, one result per item, bad input."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import struct
import time
import zlib
from pathlib import Path

import cv2
import jsonschema
import pytest
from PIL import Image

from config.contracts import results_schema
from flows.catalog import catalog_refresh
from flows.edit import chunk_size, edit_batch
from tests.helpers import IMAGES, ROOT, encode_pil

pytestmark = pytest.mark.usefixtures("prefect_api")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for path in IMAGES.iterdir():
        shutil.copy(path, folder / path.name)
    return folder


def read_flow_run(flow_run_id):
    from prefect import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(flow_run_id)
        artifacts = client.read_artifacts()
    return run, [a for a in artifacts if a.flow_run_id == flow_run_id]


RESULT_FIELDS = {  # a results.jsonl line, as the README documents it (additions are fine)
    "id",
    "status",
    "route",
    "output",
    "error",
    "cost",
    "checks",
    "image",
    "instruction",
    "ops",
    "reason",
    "confidence",
    "width",
    "height",
    "seconds",
    "notes",
    "model",
    "check_confidence",
    "risk",
    "risk_threshold",
    "risk_drivers",
    "review",
    "cache_hit",
    "requested_by",
    "candidates",
    "preset",
}


def test_results_schema_in_docs_is_the_one_the_code_writes():
    published = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    assert published == results_schema(), "run `python -m config.contracts > docs/results.schema.json`"


def test_mixed_batch(photos, tmp_path):
    items = [
        {"id": "square", "image": str(photos / "coffee.png"), "instruction": "裁剪为1:1"},
        {"id": "mono", "image": str(photos / "rocket.jpg"), "instruction": "先裁成正方形再转黑白"},
        {"id": "tea", "image": str(photos / "coffee.png"), "instruction": "把杯子换成一杯绿茶"},
        {"id": "chat", "image": str(photos / "coffee.png"), "instruction": "今天天气怎么样"},
        {"id": "wide", "image": str(photos / "chelsea.png"), "instruction": "resize to 300 wide"},
    ]
    out = tmp_path / "out"
    state = edit_batch(items=items, out_dir=str(out), return_state=True)
    results = state.result()
    assert [r.id for r in results] == [i["id"] for i in items]
    by_id = {r.id: r for r in results}
    assert by_id["square"].status == "published" and by_id["square"].route == "opencv"
    assert cv2.imread(by_id["square"].output).shape == (400, 400, 3)
    mono = Image.open(by_id["mono"].output)
    assert mono.mode == "L" and mono.size == (427, 427) and mono.format == "JPEG"
    assert by_id["tea"].status == "failed" and by_id["tea"].route == "model"
    assert "weights for Qwen/Qwen-Image-Edit-2509 are not on this machine" in by_id["tea"].error
    assert by_id["chat"].status == "rejected" and "not an image edit" in by_id["chat"].error
    assert Image.open(by_id["wide"].output).size == (300, 200)
    for r in results:
        assert r.cost.usd >= 0
    assert by_id["square"].cost.cpu_s > 0

    lines = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert lines == [r.to_dict() for r in results]
    schema = json.loads((ROOT / "docs" / "results.schema.json").read_text())
    for line in lines:  # the published schema holds, and no field of the contract went missing
        jsonschema.validate(line, schema)
        assert set(line) == RESULT_FIELDS

    run, artifacts = read_flow_run(state.state_details.flow_run_id)
    assert run.name and run.state.is_completed()
    by_key = {a.key: a for a in artifacts}
    assert by_key["edit-batch-progress"].data == 100.0

    def table(key):
        data = by_key[key].data
        return json.loads(data) if isinstance(data, str) else data

    assert [row["id"] for row in table("edit-batch-results")] == [i["id"] for i in items]
    cost = {row["path"]: row for row in table("edit-batch-cost")}
    assert cost["opencv"]["items"] == 3 and cost["model"]["items"] == 1


def test_opencv_jobs_run_in_chunks(photos, tmp_path):
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    items = [
        {
            "id": f"sku-{n}",
            "image": str(photos / "coffee.png"),
            "instruction": "crop to 1:1" if n % 2 else "mirror the image",
        }
        for n in range(30)
    ]
    state = edit_batch(items=items, out_dir=str(tmp_path / "out"), return_state=True)
    assert all(r.status == "published" for r in state.result())
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    chunks = [r for r in runs if r.name.startswith("opencv-edit-chunk")]
    size = chunk_size(30, workers=2)
    assert len(chunks) == math.ceil(30 / size) > 1


def test_bad_inputs_each_get_one_result_and_nothing_escapes(photos, tmp_path):
    (photos / "empty.jpg").write_bytes(b"")
    (photos / "notes.jpg").write_text("just some text")
    rocket = (photos / "rocket.jpg").read_bytes()
    (photos / "truncated.jpg").write_bytes(rocket[: len(rocket) // 2])
    (photos / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    bomb = bytearray(encode_pil(Image.new("L", (1, 1)), "PNG"))
    bomb[16:24] = struct.pack(">II", 60_000, 60_000)
    bomb[29:33] = struct.pack(">I", zlib.crc32(bytes(bomb[12:29])) & 0xFFFFFFFF)
    (photos / "bomb.png").write_bytes(bytes(bomb))
    before = {p.name: digest(p) for p in photos.iterdir()}
    crop = "crop to 1:1"
    items = [
        {"id": "ok", "image": str(photos / "coffee.png"), "instruction": crop},
        {"id": "empty", "image": str(photos / "empty.jpg"), "instruction": crop},
        {"id": "text", "image": str(photos / "notes.jpg"), "instruction": crop},
        {"id": "truncated", "image": str(photos / "truncated.jpg"), "instruction": crop},
        {"id": "corrupt", "image": str(photos / "corrupt.png"), "instruction": crop},
        {"id": "bomb", "image": str(photos / "bomb.png"), "instruction": crop},
        {"id": "missing", "image": str(photos / "nope.jpg"), "instruction": crop},
        {"id": "folder", "image": str(photos), "instruction": crop},
        {"id": "no-words", "image": str(photos / "coffee.png"), "instruction": ""},
        {"id": "too-far", "image": str(photos / "coffee.png"), "instruction": "裁掉右边900像素"},
        {"id": "../../escape", "image": str(photos / "coffee.png"), "instruction": crop},
        {"id": "/etc/passwd", "image": str(photos / "coffee.png"), "instruction": crop},
        {"id": "ok-2", "image": str(photos / "rocket.jpg"), "instruction": "旋转90度"},
    ]
    out = tmp_path / "out"
    results = edit_batch(items=items, out_dir=str(out))
    by_id = {r.id: r for r in results}
    assert len(results) == len(items)
    expected = {"ok": "published", "ok-2": "published", "no-words": "rejected"}
    for item in items:
        result = by_id[item["id"]]
        assert result.status == expected.get(item["id"], "failed"), result
        if result.status != "published":
            assert result.error and "\n" not in result.error
            assert result.output is None
    assert "decompression bomb" in by_id["bomb"].error
    assert "empty file" in by_id["empty"].error
    assert "no such file" in by_id["missing"].error
    assert "leaves nothing" in by_id["too-far"].error
    assert "unsafe id" in by_id["../../escape"].error
    # originals untouched, nothing written beside them or outside out/
    assert {p.name: digest(p) for p in photos.iterdir()} == before
    for path in tmp_path.rglob("*"):
        top = path.relative_to(tmp_path).parts[0]
        assert top == "out" or (top == "in" and (path == photos or path.name in before)), path


def test_rerun_is_idempotent(photos, tmp_path):
    items = [{"id": "a", "image": str(photos / "coffee.png"), "instruction": "裁剪为1:1"}]
    first = edit_batch(items=items, out_dir=str(tmp_path / "out"))
    second = edit_batch(items=items, out_dir=str(tmp_path / "out"))
    assert first[0].output == second[0].output
    assert len(list((tmp_path / "out" / "published" / "a").iterdir())) == 1


def test_catalog_refresh_reads_a_manifest_with_bad_rows(photos, tmp_path):
    manifest = photos / "catalog.jsonl"
    manifest.write_text(
        "\n".join(
            [
                json.dumps({"id": "one", "image": "coffee.png", "instruction": "crop to 1:1"}),
                "{not json",
                json.dumps({"id": "one", "image": "coffee.png", "instruction": "flip"}),
                json.dumps({"id": "../evil", "image": "coffee.png", "instruction": "flip"}),
                json.dumps({"id": "two", "image": "rocket.jpg", "instruction": "缩小一半"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    results = catalog_refresh(manifest_uri=str(manifest), out_uri=str(out))
    assert [(r.id, r.status) for r in results] == [
        ("one", "published"),
        ("line-2", "failed"),
        ("one", "failed"),
        ("../evil", "failed"),
        ("two", "published"),
    ]
    assert "duplicate id" in results[2].error and "unsafe id" in results[3].error
    assert len((out / "results.jsonl").read_text().splitlines()) == 5
    assert not (tmp_path / "evil").exists()


def test_a_broken_task_still_leaves_one_result_per_item(photos, tmp_path, monkeypatch):
    import tasks.edit.opencv_path

    def broken(jobs, out_dir, settings=None):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(tasks.edit.opencv_path, "edit_chunk", broken)
    items = [
        {"id": f"x{n}", "image": str(photos / "coffee.png"), "instruction": "flip"} for n in range(3)
    ] + [{"id": "q", "image": str(photos / "coffee.png"), "instruction": "what is this?"}]
    results = edit_batch(items=items, out_dir=str(tmp_path / "out"))
    assert [r.status for r in results] == ["failed", "failed", "failed", "rejected"]
    assert results[0].error == "task failed: RuntimeError: worker lost"
    assert len((tmp_path / "out" / "results.jsonl").read_text().splitlines()) == 4


def test_a_model_edit_whose_gpu_worker_died_is_sent_again_once_then_fails_saying_why(monkeypatch):
    """With RETOUCH_MODEL_WORKER=task-worker, an edit no GPU worker ends (its worker died, or none
    runs) is sent again after a stall of model_stall_seconds (its old task run marked Crashed),
    once; after a second stall it is the item's failed result, not a wait forever. An edit that
    ends meanwhile is taken as it ends."""
    from uuid import uuid4

    from config.contracts import Item, Job, Plan
    from config.settings import get_settings
    from tasks.edit import dispatch

    class Silent:  # a task run whose worker was killed: it never ends
        def __init__(self):
            self.task_run_id = uuid4()

        def add_done_callback(self, fn):
            pass

    class NotRecordedYet(Silent):  # just sent: the API shows no state for it at first
        def __init__(self):
            super().__init__()
            self.misses = 2

        def add_done_callback(self, fn):
            if self.misses:
                self.misses -= 1
                raise AttributeError("'NoneType' object has no attribute 'is_final'")

    class Ends(Silent):
        def add_done_callback(self, fn):
            fn(self)

        def result(self, timeout=None):
            return "edited"

    def job(name):
        item = Item(id=name, image="a.png", instruction="add a hat")
        return Job(item=item, plan=Plan("model", (), 0.9, "x"))

    sent, crashed = [], []
    monkeypatch.setattr(dispatch, "POLL_S", 0.05)
    monkeypatch.setattr(
        dispatch, "submit_model", lambda job, *_: sent.append(job.item.id) or NotRecordedYet()
    )
    monkeypatch.setattr(dispatch, "_give_up", lambda future: crashed.append(future.task_run_id))
    settings = get_settings().model_copy(update={"model_worker": "task-worker", "model_stall_seconds": 0.3})
    first = Silent()
    started = time.monotonic()
    settled = list(dispatch.settle({first: [(0, job("a"))], Ends(): [(1, job("b"))]}, "out", settings))
    assert [chunk[0][0] for chunk, _ in settled] == [1, 0]  # b as it ended, a after two stalls
    assert settled[0][1] == ["edited"]
    failed = settled[1][1][0]
    assert failed.status == "failed" and "sent twice" in failed.error
    assert "retouch serve --gpu" in failed.error
    assert sent == ["a"] and len(crashed) == 2 and crashed[0] == first.task_run_id
    assert 0.6 <= time.monotonic() - started < 5


def test_a_task_worker_run_the_api_has_not_recorded_yet_is_read_again(monkeypatch):
    """A task worker's completion event can arrive before the API shows the run's state: Prefect then
    raises "has no state"; that is read again, not recorded as the items' failure. Other errors stay
    errors."""
    from tasks.edit import dispatch

    class Unrecorded:
        def __init__(self, misses):
            self.misses = misses

        def result(self, timeout=None):
            if self.misses:
                self.misses -= 1
                raise RuntimeError("Task run 3c04 has no state which means it hasn't started yet.")
            return "edited"

    assert dispatch.settled_value(Unrecorded(3)) == "edited"
    monkeypatch.setattr(dispatch, "TASK_WORKER_PATIENCE_S", 0.0)
    with pytest.raises(RuntimeError, match="has no state"):
        dispatch.settled_value(Unrecorded(3))

    class Broken:
        def result(self, timeout=None):
            raise RuntimeError("worker crashed")

    with pytest.raises(RuntimeError, match="crashed"):
        dispatch.settled_value(Broken())

"""The model path on a tiny random-weight Qwen-Image-Edit pipeline of the real architecture.

make-tiny -> save_pretrained -> the real loader -> edits through the CLI and the batch flow, on
CPU, small sizes, 2 steps.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from tests.helpers import IMAGES, ROOT, stop, wait_for

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

from config.model_config import ModelConfig  # noqa: E402
from config.settings import get_settings  # noqa: E402
from tasks.edit import qwen  # noqa: E402
from tasks.record.ledger.db import audit, engine_for  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """`retouch model make-tiny DIR`, once per session, in a separate process (as users run it)."""
    folder = tmp_path_factory.mktemp("models") / "tiny-qwen"
    done = subprocess.run(
        [sys.executable, "-m", "retouch", "model", "make-tiny", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "RETOUCH_MODEL=" in done.stdout
    return folder


@pytest.fixture
def use_model(monkeypatch):
    """Point RETOUCH_* settings at a model for one test; drop the resident pipeline after."""

    def use(model: str | Path, **extra: str) -> None:
        monkeypatch.setenv("RETOUCH_MODEL", str(model))
        for key, value in extra.items():
            monkeypatch.setenv(f"RETOUCH_{key.upper()}", value)
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()
    qwen.loader._resident.clear()


@pytest.fixture
def model_steps(monkeypatch):
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")


def coffee_pixels() -> np.ndarray:
    import cv2

    return cv2.imread(str(IMAGES / "coffee.png"))


# ------------------------------------------------------------------------------------------------
# building and loading


def test_make_tiny_saves_a_real_diffusers_pipeline(tiny_model):
    index = json.loads((tiny_model / "model_index.json").read_text())
    assert index["_class_name"] == "QwenImageEditPlusPipeline"
    assert index["transformer"] == ["diffusers", "QwenImageTransformer2DModel"]
    assert index["text_encoder"] == ["transformers", "Qwen2_5_VLForConditionalGeneration"]
    assert index["processor"] == ["transformers", "Qwen2VLProcessor"]
    assert (tiny_model / "transformer" / "diffusion_pytorch_model.safetensors").exists()
    size = sum(p.stat().st_size for p in tiny_model.rglob("*") if p.is_file())
    assert size < 40e6


def test_real_loader_loads_it_once(tiny_model, use_model, model_steps):
    use_model(tiny_model)
    config = get_settings().qwen_config
    before = qwen.loads()
    first = qwen.get_model(config)
    second = qwen.get_model(config)
    assert first is second and qwen.loads() == before + 1
    assert type(first.pipe).__name__ == "RetouchQwenImageEditPlusPipeline"
    assert isinstance(first.pipe, diffusers.QwenImageEditPlusPipeline)
    assert (first.device, first.dtype, first.placement) == ("cpu", "float32", "cpu")
    assert first.notice and "random" in first.notice


def test_the_second_opinion_of_the_tiny_model_cannot_be_taken(tiny_model, use_model):
    """The pipeline's own vision-language model is asked about (before, after, instruction); the
    random-weight one answers noise, which is not a measure (and never publishes anything)."""
    from tasks.check.risk import assess
    from tasks.edit.qwen.judge import parse, second_opinion

    use_model(tiny_model)
    model = qwen.get_model(get_settings().qwen_config)
    before = np.asarray(Image.open(IMAGES / "coffee.png").convert("RGB"))[..., ::-1].copy()
    opinion = second_opinion(model, before, before[:, ::-1].copy(), "把杯子改成红色")
    assert opinion.check == "second-opinion" and not opinion.measured, opinion
    assert assess([opinion], "local").value < 1.0  # not a veto: it could not answer
    yes = '{"did_what_was_asked": "yes", "changed_anything_else": "no", "problem": ""}'
    assert parse(yes) == (True, False, "")
    fenced = '```json\n{"did_what_was_asked": "no", "changed_anything_else": "yes"}\n```'
    assert parse(fenced)[:2] == (False, True)
    assert parse("the picture shows a cup") is None


def test_output_has_the_input_size_and_seed_decides(tiny_model, use_model, model_steps):
    use_model(tiny_model)
    config = get_settings().qwen_config
    model = qwen.get_model(config)
    pixels = coffee_pixels()
    a, info = qwen.edit(model, config, pixels, "把杯子换成一杯绿茶", seed=7)
    b, _ = qwen.edit(model, config, pixels, "把杯子换成一杯绿茶", seed=7)
    c, _ = qwen.edit(model, config, pixels, "把杯子换成一杯绿茶", seed=8)
    assert a.shape == pixels.shape and a.dtype == np.uint8
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert info.seed == 7 and info.steps == 2 and info.working_size == "64x64"


def test_alpha_survives_a_model_edit(tiny_model, use_model, model_steps):
    use_model(tiny_model)
    config = get_settings().qwen_config
    pixels = np.dstack([coffee_pixels(), np.full((400, 600), 200, np.uint8)])
    out, _ = qwen.edit(qwen.get_model(config), config, pixels, "add a hat", seed=1)
    assert out.shape == (400, 600, 4) and (out[..., 3] == 200).all()


def test_working_size_follows_the_pipeline_rule():
    assert qwen.working_size(1000, 700, 1024 * 1024) == (1216, 864)
    assert qwen.working_size(1920, 1080, 1024 * 1024) == (1376, 768)
    assert qwen.working_size(600, 400, 64 * 64) == (64, 64)
    assert qwen.working_size(600, 400, 1024 * 1024 // 2) == (896, 576)


def test_lightning_lora_settings():
    config = ModelConfig(
        lora="lightx2v/Qwen-Image-Lightning",
        lora_weight_name="Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors",
    )
    assert config.lightning and config.num_steps == 4 and config.cfg_scale == 1.0
    plain = ModelConfig()
    assert not plain.lightning and plain.num_steps == 40 and plain.cfg_scale == 4.0


def test_placement_by_free_memory():
    config = ModelConfig()
    assert qwen.choose_placement(config, cuda=False, free_bytes=0) == "cpu"
    assert qwen.choose_placement(config, cuda=True, free_bytes=78 * 2**30) == "gpu"
    assert qwen.choose_placement(config, cuda=True, free_bytes=46 * 2**30) == "model_offload"
    assert qwen.choose_placement(config, cuda=True, free_bytes=22 * 2**30) == "model_offload"
    assert qwen.choose_placement(config, cuda=True, free_bytes=16 * 2**30) == "group_offload"


# ------------------------------------------------------------------------------------------------
# transformers >= 5.3 and mm_token_type_ids (diffusers#14194)


def reference_positions(input_ids, grid_thw, image_token_id: int, merge: int) -> torch.Tensor:
    """Qwen2.5-VL's multimodal RoPE positions for a text+one-image prompt, written out by hand.

    Text tokens count up on all three axes; the image's tokens sit on a (t, h, w) grid that
    starts after the preceding text; text after the image resumes from the grid's largest extent.
    """
    ids = input_ids[0].tolist()
    t, h, w = (int(v) for v in grid_thw[0])
    h, w = h // merge, w // merge
    rows, pos, i = [], 0, 0
    while i < len(ids):
        if ids[i] == image_token_id:
            for tt in range(t):
                for hh in range(h):
                    for ww in range(w):
                        rows.append((pos + tt, pos + hh, pos + ww))
            i += t * h * w
            pos += max(h, w)
        else:
            rows.append((pos, pos, pos))
            pos += 1
            i += 1
    return torch.tensor(rows).T.unsqueeze(1)  # (3, batch=1, seq)


def test_prompt_embeddings_use_3d_positions_for_image_tokens(tiny_model):
    import transformers
    from packaging.version import Version

    pipe = qwen.pipeline_class().from_pretrained(str(tiny_model), dtype=torch.float32, local_files_only=True)
    image = Image.open(IMAGES / "coffee.png").convert("RGB").resize((48, 32))
    prompt = "把杯子换成一杯绿茶"
    fixed, _ = pipe._get_qwen_prompt_embeds(prompt, [image], "cpu")
    stock, _ = diffusers.QwenImageEditPlusPipeline._get_qwen_prompt_embeds(pipe, prompt, [image], "cpu")
    # the reference: the same forward pass with hand-computed 3-D positions
    text = pipe.prompt_template_encode.format(
        "Picture 1: <|vision_start|><|image_pad|><|vision_end|>" + prompt
    )
    inputs = pipe.processor(text=[text], images=[image], padding=True, return_tensors="pt")
    config = pipe.text_encoder.config
    positions = reference_positions(
        inputs["input_ids"],
        inputs["image_grid_thw"],
        config.image_token_id,
        config.vision_config.spatial_merge_size,
    )
    outputs = pipe.text_encoder(
        input_ids=inputs["input_ids"],
        attention_mask=inputs["attention_mask"],
        pixel_values=inputs["pixel_values"],
        image_grid_thw=inputs["image_grid_thw"],
        position_ids=positions,
        output_hidden_states=True,
    )
    reference = outputs.hidden_states[-1][0, pipe.prompt_template_encode_start_idx :]
    assert torch.equal(fixed[0], reference)
    if Version(transformers.__version__) >= Version("5.3"):  # the bug this class fixes:
        assert (stock[0] - reference).abs().max() > 1e-5  # 1-D positions for the image tokens


# ------------------------------------------------------------------------------------------------
# through the CLI and the flow


def test_edit_on_the_model_route(run_cli, tiny_model, use_model, model_steps, tmp_path):
    use_model(tiny_model)
    target = tmp_path / "tea.png"
    code, out, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "把杯子换成一杯绿茶", "-o", str(target), "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    # the tiny model's edit is noise: the post-checks send it to a person
    assert result["route"] == "model" and result["status"] == "review"
    failed = {f["check"] for f in result["checks"] if not f["passed"]}
    assert failed and failed <= {
        "noise",
        "scope",
        "background",
        "colour-cast",
        "blur",
        "shift",
        "zoom",
        "rotation",
        "position",
        "blockiness",
        "detail",
    }
    assert Image.open(target).size == (600, 400)
    assert result["model"]["seed"] is not None and result["model"]["steps"] == 2
    assert result["cost"]["path"] == "model"
    assert any("random" in note for note in result["notes"])


def test_batch_loads_the_pipeline_once(run_cli, tiny_model, use_model, model_steps, tmp_path):
    use_model(tiny_model)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(
        "\n".join(
            json.dumps(row, ensure_ascii=False)
            for row in [
                {"id": "a", "image": str(IMAGES / "coffee.png"), "instruction": "把杯子换成一杯绿茶"},
                {
                    "id": "b",
                    "image": str(IMAGES / "rocket.jpg"),
                    "instruction": "replace the sky with a sunset",
                },
                {"id": "c", "image": str(IMAGES / "chelsea.png"), "instruction": "裁成1:1后把背景换成白色"},
                {"id": "d", "image": str(IMAGES / "coffee.png"), "instruction": "crop to 1:1"},
            ]
        ),
        encoding="utf-8",
    )
    before = qwen.loads()
    code, _, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    rows = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in rows] == ["review", "review", "review", "published"]
    assert [r["route"] for r in rows] == ["model", "model", "model", "opencv"]
    assert all("/review/" in r["output"] for r in rows[:3])  # not public until approved
    assert qwen.loads() == before + 1
    assert Image.open(rows[1]["output"]).size == (640, 427)
    assert Image.open(rows[2]["output"]).size == (300, 300)  # cropped by OpenCV, then edited


def test_missing_weights_fail_fast_with_how_to_get_them(run_cli, use_model, tmp_path):
    use_model("Qwen/Qwen-Image-Edit-2509")
    started = time.perf_counter()
    code, out, err = run_cli(
        "edit", str(IMAGES / "coffee.png"), "remove the plate", "--json", "-o", str(tmp_path / "x.png")
    )
    assert time.perf_counter() - started < 60  # no waiting on a network that is not there
    result = json.loads(out)
    assert code == 1 and result["status"] == "failed"
    assert "Qwen/Qwen-Image-Edit-2509" in result["error"]
    assert "huggingface-cli download" in result["error"] and "RETOUCH_MODEL" in result["error"]
    assert "\n" not in result["error"]

    use_model(tmp_path / "no-such-folder")
    code, out, _ = run_cli(
        "edit", str(IMAGES / "coffee.png"), "remove the plate", "--json", "-o", str(tmp_path / "x.png")
    )
    assert "no-such-folder" in json.loads(out)["error"] and code == 1


def test_model_info(run_cli, tiny_model, use_model):
    use_model(tiny_model)
    code, out, _ = run_cli("model", "info", "--json")
    info = json.loads(out)
    assert code == 0 and info["weights"] == str(tiny_model) and info["placement"] == "cpu"
    use_model("Qwen/Qwen-Image-Edit-2509")
    code, out, _ = run_cli("model", "info", "--json")
    assert json.loads(out)["weights"] is None and "huggingface-cli" in json.loads(out)["error"]


# ------------------------------------------------------------------------------------------------
# running out of GPU memory


class OutOfMemoryOnce:
    """Wraps the pipeline: the first `fail` calls raise torch.OutOfMemoryError."""

    def __init__(self, pipe, fail: int):
        self.pipe, self.fail, self.sizes = pipe, fail, []

    def __call__(self, **kwargs):
        self.sizes.append((kwargs["width"], kwargs["height"]))
        if len(self.sizes) <= self.fail:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return self.pipe(**kwargs)


@pytest.mark.parametrize("fail, status", [(1, "review"), (2, "failed")])
def test_out_of_memory_retries_smaller_then_fails(
    run_cli, tiny_model, use_model, model_steps, tmp_path, fail, status
):
    use_model(tiny_model, model_candidates="1")  # one output: the retry is what is tested
    model = qwen.get_model(get_settings().qwen_config)
    wrapper = OutOfMemoryOnce(model.pipe, fail)
    model.pipe = wrapper
    code, out, _ = run_cli(
        "edit", str(IMAGES / "coffee.png"), "add a hat", "--json", "-o", str(tmp_path / "hat.png")
    )
    result = json.loads(out)
    assert wrapper.sizes == [(64, 64), (64, 32)]  # the retry runs at half the area
    assert result["status"] == status
    if status == "review":  # edited at the lower size (then checked: the tiny model's noise)
        assert any("retried at 64x32" in note for note in result["notes"])
        assert Image.open(tmp_path / "hat.png").size == (600, 400)
    else:
        assert result["error"] == "out of GPU memory at 64x64 and at 64x32" and code == 1


# ------------------------------------------------------------------------------------------------
# a long-lived GPU task worker


@pytest.mark.slow
def test_gpu_task_worker_keeps_the_pipeline_loaded(prefect_api, tiny_model, use_model, model_steps, tmp_path):
    """With RETOUCH_MODEL_WORKER=task-worker every entry point's model edits run in the GPU task
    worker, which loads the pipeline once; this process never loads it."""
    from config.contracts import Item
    from flows.edit import edit_batch
    from flows.single import edit_one
    from retouch import sessions
    from routing import route
    from tasks.edit.dispatch import edit_item

    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "RETOUCH_MODEL": str(tiny_model),
        "RETOUCH_MODEL_STEPS": "2",
    }
    worker_log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "retouch", "serve", "--gpu"],
        env=env,
        cwd=ROOT,
        stdout=worker_log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        use_model(tiny_model, model_worker="task-worker")
        items = [
            {"id": f"sku{n}", "image": str(IMAGES / "coffee.png"), "instruction": "把杯子换成一杯绿茶"}
            for n in range(3)
        ]
        items.append({"id": "plain", "image": str(IMAGES / "coffee.png"), "instruction": "flip"})
        results = edit_batch(items=items, out_dir=str(tmp_path / "out"))
        # one item at a time, as `retouch edit` and the API edit (flows/single.py), and a
        # review's re-edit (the dispatcher): the same worker edits it
        one = Item(id="one", image=str(IMAGES / "rocket.jpg"), instruction="add a red balloon on the left")
        single = edit_one(one, str(tmp_path / "single"), get_settings())
        again = edit_item(one, route("把火箭换成红色"), str(tmp_path / "again"), get_settings())
        # a preset OpenCV cannot meet on a photo: the model's fallback whitens the background
        amazon = Item(id="amazon", image=str(IMAGES / "coffee.png"), instruction="make it Amazon-ready")
        fallback = edit_one(amazon, str(tmp_path / "preset"), get_settings())
        # a session's round
        session = sessions.new(get_settings(), str(IMAGES / "coffee.png"), owner="e2e")
        round_ = sessions.edit(get_settings(), session.id, "add a hat", owner="e2e")
        via_api = api_model_edits(env, tmp_path)  # the HTTP API, a process of its own: sync, OpenAI, async
    finally:
        stop(worker)
    assert {r["model"]["process"] for r in via_api} == {worker.pid}, via_api
    assert {r["model"]["pipeline_loads"] for r in via_api} == {1}
    log = worker_log.read_text()
    assert [r.status for r in results] == ["review"] * 3 + ["published"], log
    assert (single.status, again.status) == ("review", "review"), (single.error, again.error, log)
    assert fallback.status == "review" and any("not plain" in n for n in fallback.notes), fallback
    assert (round_.route, round_.status) == ("model", "review"), round_
    served = [r.model for r in [*results[:3], single, again, fallback]]
    assert {m.process for m in served} == {worker.pid}  # edited in the worker, not here
    assert {m.pipeline_loads for m in served} == {1}  # loaded once for all of them
    assert not qwen.loader._resident  # and never here (the session's round either)
    assert "serving model edits" in log
    shutil.rmtree(tmp_path / "out")


@pytest.mark.slow
def test_a_batch_outlives_a_gpu_worker_killed_mid_edit(prefect_api, tiny_model, use_model, tmp_path):
    """Two GPU task workers; kill -9 of one while it edits: the edit it held (Prefect gives it
    to no other worker) is sent again after the stall and the other does it; the batch ends
    with every item edited once in its results, none failed."""
    import signal
    import threading

    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterState, TaskRunFilterStateType

    from flows.edit import edit_batch

    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "RETOUCH_MODEL": str(tiny_model),
        "RETOUCH_MODEL_STEPS": "12",  # a second or so an edit: long enough to be killed in one
        "RETOUCH_MODEL_CANDIDATES": "1",
    }
    logs = [tmp_path / f"gpu-{n}.log" for n in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "retouch", "serve", "--gpu"],
            env=env,
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]

    def stat(field: int) -> str:
        return Path(f"/proc/{workers[0].pid}/stat").read_text().split(")")[-1].split()[field]

    def editing() -> bool:  # a task run is running and worker 0 is at work on it (its CPU time grows)
        running = TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(any_=["RUNNING"])))
        with get_client(sync_client=True) as client:
            if not client.read_task_runs(task_run_filter=running):
                return False
        before = int(stat(11))
        time.sleep(0.2)
        return int(stat(11)) - before >= 5  # user time, in clock ticks: it computes

    try:
        for n, log in enumerate(logs):
            wait_for(
                lambda log=log: "serving model edits" in log.read_text(), timeout=180, what=f"GPU worker {n}"
            )
        use_model(
            tiny_model,
            model_worker="task-worker",
            model_stall_seconds="15",
            model_steps="12",
            model_candidates="1",
        )
        asks = [
            "add a hat",
            "把杯子换成一杯绿茶",
            "make the mug navy blue",
            "add a red balloon on the left",
            "add a small plant next to the mug",
            "put the mug on a wooden table",
        ]
        items = [
            {"id": f"m{n}", "image": str(IMAGES / "coffee.png"), "instruction": ask}
            for n, ask in enumerate(asks)
        ]
        done: list = []
        batch = threading.Thread(
            target=lambda: done.append(edit_batch(items=items, out_dir=str(tmp_path / "out")))
        )
        batch.start()
        wait_for(editing, timeout=120, what="worker 0 to be editing")
        workers[0].send_signal(signal.SIGKILL)  # mid-edit: its task run never ends
        killed = time.monotonic()
        batch.join(timeout=300)
        print(f"kill -9 of a GPU worker -> batch done {time.monotonic() - killed:.1f} s later")
        assert done, "the batch did not end"
        (results,) = done
        assert [r.status for r in results] == ["review"] * 6, [(r.id, r.error) for r in results]
        lines = (tmp_path / "out" / "results.jsonl").read_text().splitlines()
        assert sorted(json.loads(line)["id"] for line in lines) == sorted(i["id"] for i in items)
        crashed = TaskRunFilter(state=TaskRunFilterState(type=TaskRunFilterStateType(any_=["CRASHED"])))
        with get_client(sync_client=True) as client:
            given_up = client.read_task_runs(task_run_filter=crashed)
        assert any("GPU task worker stopped" in (t.state.message or "") for t in given_up)  # sent again
    finally:
        stop(*workers)


def api_model_edits(env: dict[str, str], tmp_path: Path) -> list[dict]:
    """A model edit through each of the API's shapes (Hugging Face's, OpenAI's, an async job), by
    a `retouch api` process told that the GPU task worker edits; the results of the three jobs."""
    import base64

    import requests

    from tests.helpers import free_port, wait_for

    env = {**env, "RETOUCH_DATA_DIR": str(tmp_path / "api"), "RETOUCH_MODEL_WORKER": "task-worker"}
    made = subprocess.run(
        [sys.executable, "-m", "retouch", "api-key", "create", "e2e", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    auth = {"Authorization": f"Bearer {json.loads(made.stdout)['key']}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    api = subprocess.Popen(
        [sys.executable, "-m", "retouch", "api", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=(tmp_path / "api.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: _answers(f"{url}/healthz"), timeout=180, what="retouch api")
        picture = (IMAGES / "coffee.png").read_bytes()
        b64 = base64.b64encode(picture).decode()
        hf = requests.post(
            f"{url}/models/retouch",
            headers=auth,
            json={"inputs": {"image": b64, "instruction": "把杯子换成一杯绿茶"}},
        )
        openai = requests.post(
            f"{url}/v1/images/edits",
            headers=auth,
            files={"image": ("c.png", picture, "image/png")},
            data={"prompt": "make the mug navy blue"},
        )
        queued = requests.post(
            f"{url}/v1/edits", headers=auth, json={"image": b64, "instruction": "add a hat"}
        )
        assert (hf.status_code, openai.status_code) == (409, 409), (hf.text, openai.text)
        ids = [hf.json()["id"], openai.json()["retouch"]["id"], queued.json()["id"]]
        jobs = [
            wait_for(
                lambda i=i: (
                    (j := requests.get(f"{url}/v1/edits/{i}", headers=auth).json())["status"]
                    not in ("queued", "running")
                    and j
                ),
                timeout=180,
                what=i,
            )
            for i in ids
        ]
        assert not requests.get(f"{url}/healthz").json()["model_loaded"]  # never in the API
        return [j["result"] for j in jobs]
    finally:
        stop(api)


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


# ------------------------------------------------------------------------------------------------
# the gate: the tiny random-weight model's outputs are noise, and not one may be published.
# The demo's model items and more model instructions run through `retouch run` on the real loader
# and pipeline class; no check knows which model made an output (the pixels are judged against
# the request), and every one must go to a person.

DEMO = IMAGES.parent / "catalog.csv"
MORE = [  # (image, instruction): at least ten beyond the demo's model items
    ("coffee.png", "把背景换成浅灰色"),
    ("coffee.png", "make the mug navy blue"),
    ("coffee.png", "删除右下角的水印"),
    ("coffee.png", "在左上角加上文字'NEW'"),
    ("coffee.png", "把勺子删掉，别动杯子"),
    ("rocket.jpg", "换成赛博朋克风格"),
    ("rocket.jpg", "add a red balloon on the left"),
    ("rocket.jpg", "把'SPACE'改成'太空'"),
    ("chelsea.png", "把猫的眼睛改成蓝色"),
    ("chelsea.png", "change the background to a wooden table"),
    ("chelsea.png", "make it look like a watercolour painting"),
    ("coffee.png", "replace the cup with a glass of orange juice"),
]


@pytest.mark.slow
def test_no_output_of_the_tiny_model_is_published(run_cli, tiny_model, use_model, model_steps, tmp_path):
    use_model(tiny_model)
    with DEMO.open(encoding="utf-8") as f:
        demo = [row for row in csv.DictReader(f)]
    rows = [
        {"id": row["id"], "image": str(DEMO.parent / row["image"]), "instruction": row["instruction"]}
        for row in demo
    ]
    rows += [
        {"id": f"more-{n}", "image": str(IMAGES / image), "instruction": instruction}
        for n, (image, instruction) in enumerate(MORE)
    ]
    manifest = tmp_path / "gate.jsonl"
    manifest.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    code, out, err = run_cli("run", str(manifest), "--out", str(tmp_path / "out"))
    assert code == 0, err
    results = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    model = [r for r in results if r["route"] == "model"]
    demo_model = {"coffee-tea", "rocket-sunset", "chelsea-white-bg"}
    assert demo_model <= {r["id"] for r in model}
    assert len(model) >= len(demo_model) + 10
    published = [(r["id"], r["instruction"]) for r in model if r["status"] == "published"]
    assert published == [], published
    assert all(r["status"] == "review" for r in model), [(r["id"], r["status"], r["error"]) for r in model]
    # the run says how many wait for a person, and how to get them a review run (none here)
    assert f"{len(model)} items wait for review in review/ (no review-edit deployment" in out
    for r in model:  # each says why, in findings a person can read, and its risk
        assert any(not f["passed"] and f["message"] for f in r["checks"]), r["id"]
        assert r["risk"] >= r["risk_threshold"] and r["risk_drivers"], r["id"]
    who = f"cli:{getpass.getuser()}"  # the audit knows who asked for each model edit
    assert {r["requested_by"] for r in results} == {who}
    with engine_for(get_settings().ledger_url).connect() as connection:
        asked = connection.execute(select(audit.c.who).where(audit.c.item.like("more-%"))).scalars().all()
    assert len(asked) == len(MORE) and set(asked) == {who}

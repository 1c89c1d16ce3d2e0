"""Carry out model plans: OpenCV steps before, the Qwen edit, OpenCV steps after. A task per item.

The same task runs in the flow's process (default) or in a long-lived GPU task worker
(`retouch serve --gpu`, RETOUCH_MODEL_WORKER=task-worker) that keeps the pipeline loaded.
"""

from __future__ import annotations

import hashlib
import json
import threading

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.contracts import MODEL_OP, Cost, Item, ItemResult, Job, Plan
from config.model_config import ModelConfig
from config.settings import Settings, get_settings
from tasks import provenance, qwen
from tasks.checks import check_pair
from tasks.images import ImageError, load_image
from tasks.labels import (
    MarkError,
    add_visible_mark,
    aigc_label,
    find_cjk_font,
    pixels_digest,
    xmp_packet,
)
from tasks.ledger.cache import cached_edit, remember_edit
from tasks.ledger.costs import record_batch, spent_today_usd
from tasks.ledger.deferred import defer
from tasks.opencv_ops import OpError, apply_ops
from tasks.publish import publish_edit
from tasks.results import execute
from tasks.storage import StorageError, exists, read_bytes

_gpu_turn = threading.Lock()
EXPECTED_ERRORS = (
    ImageError,
    OpError,
    StorageError,
    qwen.ModelError,
    provenance.ProvenanceError,
    MarkError,
    ValueError,
)


def edit_with_model(item: Item, plan: Plan, out_dir: str, settings: Settings) -> ItemResult:
    """Edit one item on the model path and write the result; errors propagate."""
    data = read_bytes(item.image, settings.max_file_bytes)
    picture = load_image(data, settings.max_pixels, settings.keep_exif)
    split = next(i for i, op in enumerate(plan.ops) if op.name == MODEL_OP)
    before, after = plan.ops[:split], plan.ops[split + 1 :]
    prompt = plan.ops[split].params["prompt"]
    limits = (settings.max_output_pixels, settings.max_side)
    pixels = apply_ops(picture.pixels, before, *limits)

    config = settings.qwen_config
    image_digest = hashlib.sha256(data).hexdigest()
    seed = item.seed
    if seed is None:
        seed = settings.model_seed
    if seed is None:
        seed = qwen.default_seed(image_digest, prompt)
    key = cache_key(image_digest, plan, config, int(seed), item, settings)
    hit = cached_edit(settings.ledger_url, key)
    if hit and exists(hit["output"]):
        cached = ItemResult.model_validate({**hit, "id": item.id, "cache_hit": True})
        cached.notes = [
            *cached.notes,
            "cache hit: this image, plan, model and seed were edited before; no GPU used",
        ]
        return cached
    budget = settings.daily_gpu_budget_usd
    if budget is not None:
        spent = spent_today_usd(settings.ledger_url)
        if spent >= budget:
            defer(settings.ledger_url, Job(item=item, plan=plan), out_dir)
            return ItemResult(
                id=item.id,
                status="deferred",
                route=plan.route,
                error=f"deferred: today's GPU budget of ${budget:g} is spent "
                f"(${spent:.4f}); it runs when budget is available again "
                "(`retouch run --deferred`, or the run-deferred deployment)",
            )
    model = qwen.get_model(config)
    edited, info = qwen.edit(model, config, pixels, prompt, int(seed))
    rule = settings.review_rule(item.tags) or (
        "always reviewed: RETOUCH_REVIEW_ALL_MODEL_EDITS" if settings.review_all_model_edits else None
    )
    report = check_pair(pixels, edited, item.instruction, plan, settings.thresholds, rule)
    pixels = apply_ops(edited, after, *limits)
    if settings.aigc_visible_mark:
        pixels = add_visible_mark(pixels, find_cjk_font(settings.aigc_mark_font))
    status = "published" if report.verdict == "publish" else "review"
    label = aigc_label(
        producer=settings.aigc_producer,
        produce_id=_production_id(item),
        pixels_digest=pixels_digest(pixels),
        propagator=settings.aigc_propagator or settings.aigc_producer,
        propagate_id=item.id,
    )
    sign = None
    if settings.c2pa_cert and settings.c2pa_key:

        def sign(encoded: bytes, fmt: str) -> bytes:
            return provenance.sign(
                encoded,
                fmt,
                data,
                picture.format,
                title=f"{item.id}.{fmt}",
                cert_chain=settings.c2pa_cert,
                key=settings.c2pa_key,
            )

    uri = publish_edit(
        picture,
        pixels,
        plan.ops,
        item,
        out_dir,
        settings,
        stage=status,
        xmp=xmp_packet(label, "Qwen-Image-Edit-2509"),
        sign=sign,
    )
    notes = list(picture.notes)
    if model.notice:
        notes.append(model.notice)
    if "oom_retry" in info:
        notes.append(info["oom_retry"])
    notes += [f"{f.check}: {f.message}" for f in report.failed]
    result = ItemResult(
        id=item.id,
        status=status,
        route=plan.route,
        output=uri,
        width=pixels.shape[1],
        height=pixels.shape[0],
        notes=notes,
        model=info,
        checks=report.findings,
        check_confidence=round(report.confidence, 3),
    )
    remember_edit(settings.ledger_url, key, uri, result)
    return result


def cache_key(
    image_digest: str, plan: Plan, config: ModelConfig, seed: int, item: Item, settings: Settings
) -> str:
    """Everything that decides the output: picture, plan, weights, seed, sampler, encoding."""
    weights = qwen.resolve_weights(config.model, config.allow_download)
    parts = {
        "image": image_digest,
        "ops": [op.to_dict() for op in plan.ops],
        "model": config.model,
        "weights": qwen.weights_version(weights),
        "lora": config.lora,
        "lora_weight": config.lora_weight_name,
        "steps": config.num_steps,
        "cfg": config.cfg_scale,
        "negative": config.negative_prompt,
        "seed": seed,
        "format": item.format or settings.output_format,
        "quality": settings.jpeg_quality,
        "mark": settings.aigc_visible_mark,
        "c2pa": bool(settings.c2pa_cert),
        "thresholds": settings.check_thresholds,
        "review_rule": settings.review_rule(item.tags),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _production_id(item: Item) -> str:
    """The producer's id for this piece of content: the Prefect task run that made it."""
    from prefect.runtime import task_run

    return f"{task_run.id or 'local'}:{item.id}"


def model_job(job: Job, out_dir: str, settings: Settings) -> ItemResult:
    """Edit one job with the model; failures become a `failed` result."""
    item, plan = job.item, job.plan

    def price(cpu_s: float, result: ItemResult) -> Cost:
        info = result.model or {}
        if result.cache_hit:  # served from the cache: no GPU touched
            return Cost(path="model", gpu_s=0.0, cpu_s=round(cpu_s, 4), usd=0.0)
        if info.get("device") == "cuda":
            gpu_s = info.get("seconds", 0.0)
            return Cost(
                path="model",
                gpu_s=gpu_s,
                gpu_type=info.get("gpu"),
                cpu_s=round(cpu_s, 4),
                usd=settings.gpu_usd(gpu_s, info.get("gpu")),
            )
        return Cost(path="model", gpu_s=0.0, cpu_s=round(cpu_s, 4), usd=settings.cpu_usd(cpu_s))

    from prefect.runtime import flow_run

    # one model edit at a time per process (one GPU), from the budget check to its ledger row,
    # which is written now, not at the end of the batch: the budget must see every GPU second
    with _gpu_turn:
        result = execute(
            item, plan, lambda: edit_with_model(item, plan, out_dir, settings), EXPECTED_ERRORS, price
        )
        record_batch(
            settings.ledger_url, [result], str(flow_run.id) if flow_run.id else None, settings.price_version
        )
    return result


@task(name="model-edit", cache_policy=NO_CACHE, tags=["gpu"])
def model_edit(job: Job, out_dir: str, settings: Settings | None = None) -> ItemResult:
    """Edit one image with Qwen-Image-Edit (one task per image: seconds of GPU each).

    Without `settings` (a job handed to the GPU task worker) the worker's own settings apply.
    """
    return model_job(job, out_dir, settings or get_settings())

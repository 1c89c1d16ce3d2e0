"""Carry out model plans: OpenCV steps before, the Qwen edit, OpenCV steps after. A task per item.

The same task runs in the flow's process (default) or in a long-lived GPU task worker
(`retouch serve --gpu`, RETOUCH_MODEL_WORKER=task-worker) that keeps the pipeline loaded.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass

import numpy as np
from prefect import task
from prefect.cache_policies import NO_CACHE

from config.contracts import MODEL_OP, Candidate, Cost, Item, ItemResult, Job, ModelRun, Op, Plan, Report
from config.model_config import ModelConfig
from config.settings import Settings, get_settings
from tasks.check.gate import reconsider
from tasks.check.threshold import publishing_for
from tasks.edit import qwen
from tasks.edit.composite import Composite
from tasks.edit.composite_check import check_composite
from tasks.edit.opencv_ops import OpError, apply_ops
from tasks.edit.qwen.judge import second_opinion
from tasks.edit.studio_path import studio_job
from tasks.infra.storage import StorageError, exists, join, read_bytes, write_bytes
from tasks.pixels.images import ImageError, Picture, load_image
from tasks.record import provenance
from tasks.record.labels import (
    MarkError,
    add_visible_mark,
    aigc_label,
    find_cjk_font,
    pixels_digest,
    propagated_label,
    read_aigc,
    xmp_packet,
)
from tasks.record.ledger.cache import cached_edit, remember_edit
from tasks.record.ledger.costs import record_batch, spent_today_usd
from tasks.record.ledger.deferred import defer
from tasks.record.publish import STAGES, publish_edit
from tasks.record.results import execute, judged

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


@dataclass(frozen=True)
class ModelInput:
    """What one model edit starts from: the picture as read, its references, and the plan split
    around the model op (the OpenCV steps before it already applied to `pixels`)."""

    picture: Picture
    data: bytes
    referenced: list[bytes]
    references: tuple[np.ndarray, ...]
    pixels: np.ndarray
    prompt: str
    after: tuple[Op, ...]
    digest: str


def edit_with_model(item: Item, plan: Plan, out_dir: str, settings: Settings) -> ItemResult:
    """Edit one item on the model path and write the result; errors propagate.

    1. read      the picture and its references; the OpenCV steps before the model's op
    2. reuse     an identical edit made before (the cache: no GPU)
    3. budget    defer the item when today's GPU budget is spent
    4. edit      best-of-N: each candidate composited onto the picture and checked
    5. deliver   the chosen candidate finished, labelled and written (every one, for review)
    6. record    its result, remembered for the cache
    """
    # 1. read
    given = read_input(item, plan, settings)
    config = settings.qwen_config
    seed = item.seed if item.seed is not None else settings.model_seed
    if seed is None:
        seed = qwen.default_seed(given.digest, given.prompt)
    # 2. reuse
    key = cache_key(given.digest, plan, config, int(seed), item, settings)
    hit = cached_edit(settings.ledger_url, key)
    if hit and exists(hit["output"]):
        return from_cache(ItemResult.model_validate(hit), item, plan, given, out_dir, settings)
    # 3. budget
    deferred = over_budget(item, plan, out_dir, settings)
    if deferred is not None:
        return deferred
    # 4. edit
    model = qwen.get_model(config)
    rule = settings.review_rule(item.tags) or (
        "always reviewed: RETOUCH_REVIEW_ALL_MODEL_EDITS" if settings.review_all_model_edits else None
    )
    tried = try_candidates(
        model, config, given.pixels, given.prompt, int(seed), item, plan, settings, rule, given.references
    )
    chosen = tried[-1] if tried[-1].report.verdict == "publish" else min(tried, key=lambda t: t.report.risk)
    status = "published" if chosen.report.verdict == "publish" else "review"
    # 5. deliver
    limits = (settings.max_output_pixels, settings.max_side)

    def deliver(candidate: Tried) -> tuple[str, np.ndarray]:
        """The candidate finished (OpenCV steps after, the visible mark), labelled, written."""
        final = apply_ops(candidate.composite.pixels, given.after, *limits)
        if settings.aigc_visible_mark:
            final = add_visible_mark(final, find_cjk_font(settings.aigc_mark_font))
        return publish_labelled(given, final, item, plan, out_dir, settings, status), final

    uri, final = deliver(chosen)
    outputs = [uri if t is chosen else (deliver(t)[0] if status == "review" else None) for t in tried]
    # 6. record
    result = model_result(item, plan, given, model, tried, chosen, status, uri, final, outputs)
    remember_edit(settings.ledger_url, key, uri, result)
    return result


def read_input(item: Item, plan: Plan, settings: Settings) -> ModelInput:
    """The picture and its references read and decoded, the OpenCV steps before the model's op
    applied, and the digest of everything read (the cache key's and the default seed's)."""
    data = read_bytes(item.image, settings.max_file_bytes)
    picture = load_image(data, settings.max_pixels, settings.keep_exif)
    split = next(i for i, op in enumerate(plan.ops) if op.name == MODEL_OP)
    pixels = apply_ops(picture.pixels, plan.ops[:split], settings.max_output_pixels, settings.max_side)
    referenced = [read_bytes(uri, settings.max_file_bytes) for uri in item.references]
    references = tuple(load_image(ref, settings.max_pixels, keep_exif=False).pixels for ref in referenced)
    return ModelInput(
        picture=picture,
        data=data,
        referenced=referenced,
        references=references,
        pixels=pixels,
        prompt=plan.ops[split].params["prompt"],
        after=plan.ops[split + 1 :],
        digest=hashlib.sha256(b"".join([data, *referenced])).hexdigest(),
    )


def over_budget(item: Item, plan: Plan, out_dir: str, settings: Settings) -> ItemResult | None:
    """A `deferred` result when today's GPU budget is spent (the job waits in the ledger)."""
    budget = settings.daily_gpu_budget_usd
    if budget is None:
        return None
    spent = spent_today_usd(settings.ledger_url, settings.budget_timezone)
    if spent < budget:
        return None
    defer(settings.ledger_url, Job(item=item, plan=plan), out_dir)
    return ItemResult(
        id=item.id,
        status="deferred",
        route=plan.route,
        error=f"deferred: today's GPU budget of ${budget:g} is spent "
        f"(${spent:.4f}); it runs when budget is available again "
        "(`retouch run --deferred`, or the run-deferred deployment)",
    )


def model_result(
    item: Item,
    plan: Plan,
    given: ModelInput,
    model: qwen.LoadedModel,
    tried: list[Tried],
    chosen: Tried,
    status: str,
    uri: str,
    final: np.ndarray,
    outputs: list[str | None],
) -> ItemResult:
    """The item's result: the chosen candidate's checks and output, every candidate tried, the
    model's run and the notes a reader needs (a notice of the model, an OOM retry, the seeds)."""
    candidates = [
        Candidate(
            seed=t.seed,
            verdict=t.report.verdict,
            confidence=round(t.report.confidence, 3),
            risk=round(t.report.risk, 4),
            findings=t.report.findings,
            gpu_s=t.info.seconds,
            output=output,
        )
        for t, output in zip(tried, outputs, strict=True)
    ]
    info = chosen.info.model_copy(
        update={
            "seconds": round(sum(t.info.seconds for t in tried), 3),
            "candidates": len(tried),
            "composite": chosen.composite.summary(),
            "references": list(item.references) or None,
            "notice": model.notice,
        }
    )
    notes = list(given.picture.notes)
    if model.notice:
        notes.append(model.notice)
    if chosen.info.oom_retry:
        notes.append(chosen.info.oom_retry)
    if len(tried) > 1:
        notes.append(
            f"{len(tried)} candidates tried (seeds {', '.join(str(t.seed) for t in tried)}); "
            f"{'the last passed the checks' if status == 'published' else 'none passed'}"
        )
    if status == "review":
        notes += chosen.report.drivers
    return ItemResult(
        id=item.id,
        status=status,
        route=plan.route,
        output=uri,
        width=final.shape[1],
        height=final.shape[0],
        notes=notes,
        model=info,
        candidates=candidates,
        **judged(chosen.report),
    )


def publish_labelled(
    given: ModelInput, final: np.ndarray, item: Item, plan: Plan, out_dir: str, settings: Settings, stage: str
) -> str:
    """A model output labelled (the TC260 label in its XMP, C2PA when a certificate is set) and
    written at `stage`: the one place a model output is published, fresh or from the cache."""
    label = ai_label(given.picture.xmp, item, pixels_digest(final), settings)
    return publish_edit(
        given.picture,
        final,
        plan.ops,
        item,
        out_dir,
        settings,
        stage=stage,
        xmp=xmp_packet(label, settings.qwen_config.system_name),
        sign=_signer(given.data, given.picture.format, item, settings, given.referenced),
    )


@dataclass(frozen=True)
class Tried:
    """One model output: its seed, what the model reported, the composite and its checks."""

    seed: int
    info: ModelRun
    composite: Composite
    report: Report


RETRY_USELESS = {"rule", "routing"}  # failures no other seed can fix


def try_candidates(
    model: qwen.LoadedModel,
    config: ModelConfig,
    pixels: np.ndarray,
    prompt: str,
    seed: int,
    item: Item,
    plan: Plan,
    settings: Settings,
    rule: str | None,
    references: tuple[np.ndarray, ...] = (),
) -> list[Tried]:
    """Best-of-N: edit with `seed`, then the next seeds while the checks fail (up to
    settings.model_candidates); each output composited onto `pixels` and checked (with the
    products of the reference pictures, when there are any, recognisable in it)."""
    tried: list[Tried] = []
    publishing = publishing_for(item.preset, settings)
    for n in range(settings.model_candidates):
        candidate_seed = (seed + n) % 2**32
        raw, info = qwen.edit(
            model, config, pixels, prompt, candidate_seed, resize_back=False, references=references
        )
        result, report = check_composite(
            pixels,
            raw,
            item.instruction,
            plan,
            settings.thresholds,
            rule,
            references,
            publishing,
        )
        if settings.second_opinion == "on" or (settings.second_opinion == "auto" and model.device != "cpu"):
            opinion = second_opinion(model, pixels, result.pixels, item.instruction or prompt)
            report = reconsider(report, [opinion], publishing)
        tried.append(Tried(candidate_seed, info, result, report))
        if report.verdict == "publish" or {f.check for f in report.failed} <= RETRY_USELESS:
            break
    return tried


def ai_label(xmp: bytes | None, item: Item, digest: str, settings: Settings) -> dict[str, str]:
    """This output's TC260 label: ours, or an upstream producer's carried on (never dropped)."""
    propagator = settings.aigc_propagator or settings.aigc_producer
    upstream = read_aigc(xmp)
    if upstream:
        return propagated_label(upstream, propagator, item.id, digest)
    return aigc_label(
        producer=settings.aigc_producer,
        produce_id=_production_id(item),
        pixels_digest=digest,
        propagator=propagator,
        propagate_id=item.id,
    )


def _signer(
    original: bytes, original_format: str, item: Item, settings: Settings, references: list[bytes] = ()
):
    """C2PA signing of an encoded output (last, after the XMP), when a certificate is set; the
    reference pictures of a multi-image edit are its component ingredients."""
    if not (settings.c2pa_cert and settings.c2pa_key):
        return None

    def sign(encoded: bytes, fmt: str) -> bytes:
        return provenance.sign(
            encoded,
            fmt,
            original,
            original_format,
            title=f"{item.id}.{fmt}",
            cert_chain=settings.c2pa_cert,
            key=settings.c2pa_key,
            system=settings.qwen_config.system_name,
            components=list(references),
        )

    return sign


def from_cache(
    earlier: ItemResult, item: Item, plan: Plan, given: ModelInput, out_dir: str, settings: Settings
) -> ItemResult:
    """This item's result from an identical edit made before (no GPU): the earlier picture,
    labelled for this item and written under this item's own folder and stage (the earlier
    file itself when it is already there: the same item re-run), with the candidates tried then
    (their pictures copied beside it, so a reviewer can still pick one)."""
    notes = [*earlier.notes, "cache hit: this image, plan, model and seed were edited before; no GPU used"]
    own = join(out_dir, STAGES[earlier.status], item.folder) + "/"
    if earlier.id == item.id and earlier.output.replace("\\", "/").startswith(own.replace("\\", "/")):
        return earlier.model_copy(update={"cache_hit": True, "notes": notes})
    pixels = load_image(
        read_bytes(earlier.output, settings.max_file_bytes), settings.max_pixels, keep_exif=False
    ).pixels
    uri = publish_labelled(given, pixels, item, plan, out_dir, settings, earlier.status)
    candidates = [
        c.model_copy(update={"output": _copied(c.output, own, settings) if c.output else None})
        for c in earlier.candidates
    ]
    update = {
        "id": item.id,
        "output": uri,
        "cache_hit": True,
        "notes": notes,
        "candidates": candidates,
        "review": None,
    }
    return earlier.model_copy(update=update)


def _copied(uri: str, folder: str, settings: Settings) -> str | None:
    """A candidate's picture copied, under its own (content-addressed) name, into `folder`; None
    when it is gone (the cached edit itself still serves)."""
    target = join(folder, uri.replace("\\", "/").rsplit("/", 1)[-1])
    try:
        if not exists(target):
            write_bytes(target, read_bytes(uri, settings.max_file_bytes))
    except StorageError:
        return None
    return target


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
        "candidates": settings.model_candidates,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _production_id(item: Item) -> str:
    """The producer's id for this piece of content: the Prefect task run that made it."""
    from prefect.runtime import task_run

    return f"{task_run.id or 'local'}:{item.id}"


def model_job(job: Job, out_dir: str, settings: Settings) -> ItemResult:
    """Edit one job with the model; failures become a `failed` result. A job that OpenCV can do
    on this very picture (a white background on a studio shot) is done by OpenCV instead."""
    from prefect.runtime import flow_run

    item, plan = job.item, job.plan
    done, why_not = studio_job(job, out_dir, settings)
    if done is not None:  # an OpenCV result: the batch records it with its other OpenCV rows
        return done

    def price(cpu_s: float, result: ItemResult) -> Cost:
        info = result.model or ModelRun()
        if result.cache_hit:  # served from the cache: no GPU touched
            return Cost(path="model", gpu_s=0.0, cpu_s=round(cpu_s, 4), usd=0.0)
        if info.device == "cuda":
            gpu_s = info.seconds
            return Cost(
                path="model",
                gpu_s=gpu_s,
                gpu_type=info.gpu,
                cpu_s=round(cpu_s, 4),
                usd=settings.gpu_usd(gpu_s, info.gpu),
            )
        return Cost(path="model", gpu_s=0.0, cpu_s=round(cpu_s, 4), usd=settings.cpu_usd(cpu_s))

    # one model edit at a time per process (one GPU), from the budget check to its ledger row,
    # which is written now, not at the end of the batch: the budget must see every GPU second
    with _gpu_turn:
        result = execute(
            item, plan, lambda: edit_with_model(item, plan, out_dir, settings), EXPECTED_ERRORS, price
        )
        if why_not:
            result.notes.append(why_not)
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

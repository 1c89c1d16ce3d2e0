"""Model plans that OpenCV can carry out on this picture: a white background on a studio shot.

The router reads words only: "把背景换成纯白" or "white background" is a model edit. The picture
decides whether it needs one. A background already pure white is published as it is (nothing
to do, no GPU); a studio shot on a plain backdrop (or a picture with a transparent background)
is cut out by OpenCV and put on pure white (tasks/pixels/background.py), and the same post-checks as a
model edit judge it: published when they pass. Anything else, or a cut the checks refuse, goes
to the model as before, with the reason in the result's notes.
"""

from __future__ import annotations

import time

import numpy as np

from config.contracts import Cost, Item, ItemResult, Job, Plan
from config.settings import Settings
from tasks.check.gate import check_pair
from tasks.check.threshold import publishing_for
from tasks.infra.storage import StorageError, read_bytes
from tasks.pixels.background import colour_bgr, cut_background, on_white, pure_white_share
from tasks.pixels.dtypes import max_value
from tasks.pixels.formats import sniff_format
from tasks.pixels.images import ImageError, Picture, load_image, open_header, publishable_as_is
from tasks.record.publish import publish_bytes, publish_edit
from tasks.record.results import execute, judged

WHITE_BORDER = 0.99  # a background this much pure white is already what was asked
WHITE = (255, 255, 255)


def wants_white_background(plan: Plan) -> bool:
    """A model plan that asks for a white background and nothing else."""
    intent = plan.intent
    return bool(
        plan.route == "model"
        and intent is not None
        and intent.action == "background"
        and intent.colour is not None
        and tuple(intent.colour.rgb) == WHITE
        and intent.region is None
        and not intent.keep
    )


def studio_job(job: Job, out_dir: str, settings: Settings) -> tuple[ItemResult | None, str | None]:
    """(the result, None) when OpenCV did the job; (None, why not) when the model must."""
    item, plan = job.item, job.plan
    if not wants_white_background(plan):
        return None, None
    started = time.thread_time()
    try:
        data = read_bytes(item.image, settings.max_file_bytes)
        picture = load_image(data, settings.max_pixels, settings.keep_exif)
    except (ImageError, StorageError):
        return None, None  # the model path says what is wrong with it
    decision = _decide(picture, data, item, plan, settings)
    if isinstance(decision, str):
        return None, decision
    decided = time.thread_time() - started

    def price(cpu_s: float, _: ItemResult) -> Cost:
        return Cost(path="opencv", cpu_s=round(cpu_s + decided, 4), usd=settings.cpu_usd(cpu_s + decided))

    return execute(item, plan, lambda: decision(out_dir), (StorageError, ValueError), price), None


def _decide(picture: Picture, data: bytes, item: Item, plan: Plan, settings: Settings):
    """What to publish (a function of the output folder), or why the model must do it."""
    pixels = picture.pixels
    base = {"id": item.id, "route": "opencv", "width": pixels.shape[1], "height": pixels.shape[0]}
    if (
        pure_white_share(pixels) >= WHITE_BORDER
        and not _transparent(pixels)
        and publishable_as_is(open_header(data, settings.max_pixels))
    ):
        fmt = sniff_format(data) or "png"
        note = "already satisfied: the background is pure white; published unchanged (no GPU)"

        def unchanged(out_dir: str) -> ItemResult:
            output = publish_bytes(
                out_dir, item.folder, data, fmt if fmt in ("jpeg", "png", "webp") else "png"
            )
            return ItemResult(status="published", output=output, notes=[*picture.notes, note], **base)

        return unchanged
    alpha = pixels[..., 3].astype(np.float32) / max_value(pixels) if _transparent(pixels) else None
    how = "its transparent background" if alpha is not None else "a plain backdrop"
    if alpha is None:
        cut = cut_background(pixels)
        if cut.alpha is None:
            return f"OpenCV could not cut the product out: {cut.reason}"
        alpha = cut.alpha
    after = on_white(pixels, alpha)
    report = check_pair(
        colour_bgr(pixels),
        after,
        item.instruction,
        plan,
        settings.thresholds,
        settings.review_rule(item.tags),
        publishing=publishing_for(item.preset, settings),
        by_model=False,
    )
    if report.verdict != "publish":
        why = "; ".join(report.drivers)
        return f"OpenCV's cut-out of {how} failed its checks (risk {report.risk:.2f}: {why})"
    note = f"done by OpenCV, no GPU: the product cut out of {how} and put on pure white"

    def cut_out(out_dir: str) -> ItemResult:
        output = publish_edit(picture, after, (), item, out_dir, settings)
        return ItemResult(
            status="published",
            output=output,
            notes=[*picture.notes, note],
            **judged(report),
            **base,
        )

    return cut_out


def _transparent(pixels: np.ndarray) -> bool:
    """A picture with an alpha channel that makes part of it see-through."""
    return (
        pixels.ndim == 3 and pixels.shape[2] == 4 and bool((pixels[..., 3] < max_value(pixels)).mean() > 0.01)
    )

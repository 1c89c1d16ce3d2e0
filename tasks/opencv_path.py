"""Carry out OpenCV plans: read, decode, apply the ops, encode, write. A task per chunk."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.contracts import Cost, Item, ItemResult, Job, Plan
from config.settings import Settings
from tasks.images import ImageError, load_image
from tasks.opencv_ops import OpError, apply_ops
from tasks.publish import publish_edit
from tasks.results import execute
from tasks.storage import StorageError, read_bytes

EXPECTED_ERRORS = (ImageError, OpError, StorageError, ValueError)


def edit_with_opencv(item: Item, plan: Plan, out_dir: str, settings: Settings) -> ItemResult:
    """Edit one item on the OpenCV path and write the result; errors propagate."""
    picture = load_image(
        read_bytes(item.image, settings.max_file_bytes), settings.max_pixels, settings.keep_exif
    )
    pixels = apply_ops(picture.pixels, plan.ops, settings.max_output_pixels, settings.max_side)
    uri = publish_edit(picture, pixels, plan.ops, item, out_dir, settings)
    return ItemResult(
        id=item.id,
        status="published",
        route=plan.route,
        output=uri,
        width=pixels.shape[1],
        height=pixels.shape[0],
        notes=picture.notes,
    )


def edit_chunk(jobs: list[Job], out_dir: str, settings: Settings) -> list[ItemResult]:
    """Edit each job; a failing item becomes a `failed` result, never a raise."""

    def price(cpu_s: float, _: ItemResult) -> Cost:
        return Cost(path="opencv", cpu_s=round(cpu_s, 4), usd=settings.cpu_usd(cpu_s))

    return [
        execute(
            job.item,
            job.plan,
            lambda job=job: edit_with_opencv(job.item, job.plan, out_dir, settings),
            EXPECTED_ERRORS,
            price,
        )
        for job in jobs
    ]


@task(name="opencv-edit-chunk", cache_policy=NO_CACHE)
def opencv_edit_chunk(jobs: list[Job], out_dir: str, settings: Settings) -> list[ItemResult]:
    """Edit a chunk of images on the OpenCV path (one task per chunk, not per image)."""
    return edit_chunk(jobs, out_dir, settings)

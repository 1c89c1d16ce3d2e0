"""Carry out OpenCV plans: read, decode, apply the ops, encode, write. A task per chunk."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from retouch.settings import Settings, get_settings
from routing.plan import Plan
from tasks.images import ImageError, load_image
from tasks.opencv_ops import OpError, apply_ops
from tasks.publish import publish_edit
from tasks.results import ItemResult, execute
from tasks.storage import StorageError, read_bytes

EXPECTED_ERRORS = (ImageError, OpError, StorageError, ValueError)


def edit_with_opencv(item: dict[str, Any], plan: Plan, out_dir: str,
                     settings: Settings) -> ItemResult:
    """Edit one item on the OpenCV path and write the result; errors propagate."""
    picture = load_image(read_bytes(item["image"], settings.max_file_bytes),
                         settings.max_pixels, settings.keep_exif)
    pixels = apply_ops(picture.pixels, plan.ops, settings.max_output_pixels, settings.max_side)
    uri = publish_edit(picture, pixels, plan.ops, item, out_dir, settings)
    return ItemResult(id=item["id"], status="published", route=plan.route, output=uri,
                      width=pixels.shape[1], height=pixels.shape[0], notes=picture.notes)


def edit_chunk(jobs: list[dict[str, Any]], out_dir: str,
               settings: Settings | None = None) -> list[dict[str, Any]]:
    """Edit each job (`{item, plan}`); a failing item becomes a `failed` result, never a raise."""
    settings = settings or get_settings()

    def price(cpu_s: float, _: ItemResult) -> dict[str, Any]:
        return {"path": "opencv", "cpu_s": round(cpu_s, 4),
                "usd": round(cpu_s * settings.cpu_core_hour_usd / 3600, 8)}

    results = []
    for job in jobs:
        item, plan = job["item"], Plan.from_dict(job["plan"])
        results.append(execute(item, plan,
                               lambda item=item, plan=plan: edit_with_opencv(item, plan, out_dir, settings),
                               EXPECTED_ERRORS, price))
    return results


@task(name="opencv-edit-chunk", cache_policy=NO_CACHE)
def opencv_edit_chunk(jobs: list[dict[str, Any]], out_dir: str) -> list[dict[str, Any]]:
    """Edit a chunk of images on the OpenCV path (one task per chunk, not per image)."""
    return edit_chunk(jobs, out_dir)

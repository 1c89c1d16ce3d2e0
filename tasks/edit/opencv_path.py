"""Carry out OpenCV plans: read, decode, apply the ops, encode, write. A task per chunk.

A JPEG whose plan is one crop, right-angle rotation or flip that the block grid allows is
transformed in the DCT domain instead (tasks/edit/jpeg_lossless.py): no decode, no re-encode."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from config.contracts import Cost, Item, ItemResult, Job, Plan
from config.settings import Settings
from tasks.edit import jpeg_lossless
from tasks.edit.opencv_ops import OpError, apply_ops, changes_nothing, crop_box
from tasks.infra.storage import StorageError, read_bytes
from tasks.pixels.formats import sniff_format
from tasks.pixels.images import (
    ImageError,
    carried_metadata,
    load_image,
    open_header,
    output_format,
    publishable_as_is,
)
from tasks.pixels.metadata import add_jpeg_metadata
from tasks.record.publish import file_size_limit, publish_bytes, publish_edit
from tasks.record.results import execute

EXPECTED_ERRORS = (ImageError, OpError, StorageError, ValueError)


def edit_with_opencv(item: Item, plan: Plan, out_dir: str, settings: Settings) -> ItemResult:
    """Edit one item on the OpenCV path and write the result; errors propagate."""
    data = read_bytes(item.image, settings.max_file_bytes)
    unchanged = already_satisfied(data, plan, item, settings)
    if unchanged is not None:
        return unchanged(out_dir)
    lossless = lossless_jpeg(data, plan, item, settings)
    if lossless is not None:
        edited, width, height, note = lossless
        return ItemResult(
            id=item.id,
            status="published",
            route=plan.route,
            output=publish_bytes(out_dir, item.folder, edited, "jpeg"),
            width=width,
            height=height,
            notes=[note],
        )
    picture = load_image(data, settings.max_pixels, settings.keep_exif)
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


def re_encoded(asked: dict) -> bool:
    """Does a format op's parameters ask for the picture to be encoded anew (a quality, a file
    size to fit)? Then neither the original's bytes nor a lossless JPEG transform will do."""
    return "quality" in asked or file_size_limit(asked) is not None


def already_satisfied(data: bytes, plan: Plan, item: Item, settings: Settings):
    """When the plan would change nothing in this picture (and its format stays): a function
    publishing the original bytes as they are (no decode, no re-encode), else None."""
    im = open_header(data, settings.max_pixels)
    fmt = sniff_format(data)
    asked = next((op.params for op in plan.ops if op.name == "format"), {})
    wanted = output_format(im.format or "", asked.get("format") or item.format or settings.output_format)
    if (
        fmt != wanted
        or re_encoded(asked)
        or not publishable_as_is(im)
        or not all(changes_nothing(op, *im.size) for op in plan.ops)
    ):
        return None

    def publish(out_dir: str) -> ItemResult:
        return ItemResult(
            id=item.id,
            status="published",
            route=plan.route,
            output=publish_bytes(out_dir, item.folder, data, fmt),
            width=im.size[0],
            height=im.size[1],
            notes=["already satisfied: the picture is already as asked; published unchanged"],
        )

    return publish


_TURNS = {90: "rot90", 180: "rot180", 270: "rot270"}


def lossless_jpeg(
    data: bytes, plan: Plan, item: Item, settings: Settings
) -> tuple[bytes, int, int, str] | None:
    """The edit as a lossless JPEG transform, with the metadata an edit keeps, its size and a
    note; None when it must be decoded (not a JPEG, another op, a quality asked for, an EXIF
    rotation, off the block grid, no libturbojpeg)."""
    ops = [op for op in plan.ops if op.name != "format"]
    asked = next((op.params for op in plan.ops if op.name == "format"), {})
    if len(ops) != 1 or re_encoded(asked) or not jpeg_lossless.available() or sniff_format(data) != "jpeg":
        return None
    if output_format("JPEG", asked.get("format") or item.format or settings.output_format) != "jpeg":
        return None
    im = open_header(data, settings.max_pixels)
    carried = carried_metadata(im, settings.keep_exif)
    if carried.orientation not in (None, 1) or im.mode not in ("RGB", "L"):
        return None
    (op,) = ops
    try:
        head = jpeg_lossless.header(data)
        if op.name == "crop" and "size" not in op.params:
            x, y, w, h = crop_box(head.width, head.height, op.params)
            centred = op.params.get("anchor", "center") == "center" and "aspect" in op.params
            box = jpeg_lossless.aligned_crop(head, x, y, w, h, centred)
            if box is None:
                return None
            edited, size = jpeg_lossless.transform(data, crop=box), (w, h)
            moved = abs(box[0] - x) + abs(box[1] - y)
            note = "lossless JPEG crop (no re-encoding)" + (
                f": the box moved {moved} px onto the JPEG's {head.mcu[0]}-px block grid" if moved else ""
            )
        elif op.name == "rotate" and op.params.get("degrees", 0) % 360 in _TURNS:
            turn = _TURNS[op.params["degrees"] % 360]
            edited = jpeg_lossless.transform(data, turn)
            size = (head.height, head.width) if turn != "rot180" else (head.width, head.height)
            note = "lossless JPEG rotation (no re-encoding)"
        elif op.name == "flip":
            edited = jpeg_lossless.transform(data, "hflip" if op.params["axis"] == "horizontal" else "vflip")
            size, note = (head.width, head.height), "lossless JPEG flip (no re-encoding)"
        else:
            return None
    except jpeg_lossless.LosslessError:
        return None  # off the block grid, an unusual JPEG: decoded as usual
    edited = add_jpeg_metadata(edited, icc_profile=carried.icc_profile, exif=carried.exif, xmp=carried.xmp)
    return edited, size[0], size[1], note


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

"""The catalog audit: which images break a marketplace preset, the fix each would get, its cost.

One flow run per audit (`catalog-audit`, schedulable in prefect.yaml): the images of a manifest
or a folder are audited in chunks (a task each, all workers busy); the report is `audit.csv`
(one row per image) and `audit.html` (with thumbnails) in the output folder, and a table
artifact in the Prefect UI. Nothing is edited.
"""

from __future__ import annotations

import csv
import html
import io
import math
from pathlib import Path

import cv2
from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from config.settings import Settings, get_settings
from flows.runner import WorkerThreads
from routing.presets import Preset, preset
from tasks.check.audit import AuditRow, audit_picture
from tasks.infra.errors import one_line
from tasks.infra.storage import StorageError, is_s3, join, read_bytes, write_bytes
from tasks.intake.manifest import ManifestError, parse_manifest
from tasks.pixels.background import colour_bgr
from tasks.pixels.formats import sniff_format
from tasks.pixels.images import ImageError, load_image

THUMB_SIDE = 160
OCR_SIDE = 1280  # the audit reads text on a copy this size on the long side
CSV_FIELDS = ("image", "preset", "passed", "violations", "fix", "estimated_usd", "width", "height", "error")


def images_of(source: str) -> list[str]:
    """The images a source names: a manifest's `image` column, or a local folder's image files."""
    path = Path(source)
    if not is_s3(source) and path.is_dir():
        suffixes = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")
        return [str(p) for p in sorted(path.rglob("*")) if p.suffix.lower() in suffixes]
    items = parse_manifest(read_bytes(source, 256 * 1024 * 1024), source)
    return [item.image or f"(row {item.line}: {item.error})" for item in items]


def _ocr():
    """The OCR reader, or None without the [ocr] extra (the text rule is then not checked)."""
    try:
        from tasks.check.ocr import MIN_SCORE, read_lines

        read_lines  # noqa: B018
    except ImportError:
        return None

    def read_text(bgr):  # a lone glyph is a shape as often as a letter: words only
        scale = OCR_SIDE / max(bgr.shape[:2])  # text a shopper notices is legible at this size
        if scale < 1:
            bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        return [
            line.text
            for line in read_lines(bgr)
            if line.score >= MIN_SCORE and sum(c.isalnum() for c in line.text) >= 2
        ]

    return read_text


@task(name="audit-chunk", cache_policy=NO_CACHE)
def audit_chunk(
    images: list[str], first: int, spec: Preset, out_dir: str, settings: Settings
) -> list[AuditRow]:
    """Audit a chunk of images; a thumbnail of each in OUT/thumbs/."""
    read_text = _ocr() if spec.no_text else None
    rows = []
    for n, image in enumerate(images, first):
        try:
            data = read_bytes(image, settings.max_file_bytes)
            picture = load_image(data, settings.max_pixels, keep_exif=False)
            row = audit_picture(
                picture.pixels, sniff_format(data) or "unknown", image, spec, settings, read_text
            )
            bgr = colour_bgr(picture.pixels)
            scale = THUMB_SIDE / max(bgr.shape[:2])
            thumb = (
                cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else bgr
            )
            write_bytes(
                join(out_dir, "thumbs", f"{n}.jpg"), cv2.imencode(".jpg", thumb)[1].tobytes(), "image/jpeg"
            )
        except (ImageError, StorageError, ValueError) as exc:
            row = AuditRow(image, spec.label, error=one_line(exc, named=False))
        rows.append(row)
    return rows


def report_csv(rows: list[AuditRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS)
    writer.writeheader()
    for row in rows:
        line = row.to_dict()
        line["passed"] = "true" if row.passed else "false"
        line["violations"] = "; ".join(row.violations)
        line["fix"] = "; ".join(row.fixes)
        writer.writerow({k: line[k] for k in CSV_FIELDS})
    return buffer.getvalue().encode("utf-8")


def report_html(rows: list[AuditRow], spec: Preset) -> bytes:
    failed = [r for r in rows if not r.passed]
    total = sum(r.estimated_usd for r in rows)
    lines = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Retouch audit</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}",
        "td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}",
        ".fail{color:#a33}.ok{color:#176}img{max-width:160px}</style></head><body>",
        f"<h1>Audit against {html.escape(spec.label)}</h1><p>{html.escape(spec.description)}</p>",
        f"<p>{len(rows)} images, {len(failed)} break the rules; fixing them: about ${total:.4f}</p>",
        "<table><tr><th></th><th>image</th><th>passed</th><th>violations</th><th>fix</th><th>USD</th></tr>",
    ]
    for n, row in enumerate(rows):
        thumb = "" if row.error else f"<img src='thumbs/{n}.jpg' alt=''>"
        problems = [row.error] if row.error else row.violations
        lines.append(
            f"<tr><td>{thumb}</td><td>{html.escape(row.image)}</td>"
            f"<td class='{'ok' if row.passed else 'fail'}'>{'yes' if row.passed else 'no'}</td>"
            f"<td>{'<br>'.join(html.escape(v) for v in problems)}</td>"
            f"<td>{'<br>'.join(html.escape(f) for f in row.fixes)}</td><td>{row.estimated_usd:.5f}</td></tr>"
        )
    lines.append("</table></body></html>")
    return "\n".join(lines).encode("utf-8")


@flow(name="catalog-audit", task_runner=WorkerThreads())
def catalog_audit(source: str, preset_name: str, out_dir: str) -> list[AuditRow]:
    """Audit every image of `source` (a manifest or a folder) against preset `preset_name`;
    audit.csv and audit.html in `out_dir`."""
    settings = get_settings()
    spec = preset(preset_name, settings.presets_file)
    try:
        images = images_of(source)
    except (ManifestError, StorageError) as exc:
        raise ValueError(f"{source}: {exc}") from None
    size = max(1, math.ceil(len(images) / (4 * settings.workers)))
    futures = [
        audit_chunk.submit(quote(images[i : i + size]), i, spec, out_dir, quote(settings))
        for i in range(0, len(images), size)
    ]
    rows = [row for future in futures for row in future.result()]
    write_bytes(join(out_dir, "audit.csv"), report_csv(rows), "text/csv")
    write_bytes(join(out_dir, "audit.html"), report_html(rows, spec), "text/html")
    create_table_artifact(
        [
            {k: v for k, v in r.to_dict().items() if k in ("image", "passed", "violations", "fix")}
            for r in rows[:500]
        ],
        key="catalog-audit",
        description=f"{sum(not r.passed for r in rows)} of {len(rows)} images break {spec.label}",
    )
    return rows

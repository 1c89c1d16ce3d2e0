"""Read a catalog manifest (CSV or JSONL with `id,image,instruction`) into batch items."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pydantic import ValidationError

from config.contracts import Item
from tasks.infra.storage import is_s3, resolve, safe_name, split_s3

COLUMNS = ("id", "image", "instruction")


class ManifestError(ValueError):
    """A manifest that cannot be read at all (as opposed to one bad row)."""


def parse_manifest(data: bytes, uri: str) -> list[Item]:
    """Items (id, image, instruction, line[, error]): one per row, bad rows included.

    A row that cannot be used keeps its place with an `error`, so that it still gets exactly
    one result. Image paths are resolved against the manifest's folder (or S3 prefix).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{uri}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows = _csv_rows(text, uri) if _is_csv(text, uri) else _jsonl_rows(text)
    try:
        return _items(rows, uri)
    except csv.Error as exc:
        raise ManifestError(f"{uri}: unreadable CSV: {exc}") from None


def _items(rows, uri: str) -> list[Item]:
    items: list[Item] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        item: dict[str, Any] = {"line": line}
        if isinstance(row, str):  # an unreadable row: its error
            items.append(Item(line=line, id=f"line-{line}", error=row))
            continue
        raw_id = str(row.get("id") or "").strip() or f"line-{line}"
        item["id"] = raw_id
        item["instruction"] = row.get("instruction")
        if item["instruction"] is not None and not isinstance(item["instruction"], str):
            item["instruction"] = str(item["instruction"])
        image = str(row.get("image") or "").strip()
        try:
            item["image"] = _image_of(image, uri) if image else None
        except ValueError as exc:  # one bad row: its own error, the rest of the catalog runs
            item["image"], item["error"] = None, str(exc)
        references = [r.strip() for r in str(row.get("references") or "").split("|") if r.strip()]
        try:  # pictures 2, 3... of a multi-image edit, resolved like the image
            item["references"] = [_image_of(r, uri) for r in references]
        except ValueError as exc:
            item["references"], item["error"] = [], f"references: {exc}"
        for key, value in row.items():  # extra columns (tags, priority...) travel along
            if key not in COLUMNS and key not in item:
                item[key] = value
        try:
            safe_name(raw_id)
        except ValueError as exc:
            item["error"] = str(exc)
        if "error" not in item and raw_id in first_line:
            item["error"] = f"duplicate id {raw_id!r} (first on line {first_line[raw_id]})"
        first_line.setdefault(raw_id, line)
        if "error" not in item and not image:
            item["error"] = "no image given"
        items.append(_typed(item))
    return items


def _image_of(reference: str, manifest: str) -> str:
    """A row's image, resolved against the manifest. A manifest in S3 names objects of its own
    bucket only: never the worker's local files, never another bucket."""
    image = resolve(reference, manifest)
    if is_s3(manifest):
        if not is_s3(image):
            raise ValueError(f"{reference}: a manifest in S3 cannot name local files")
        if split_s3(image)[0] != split_s3(manifest)[0]:
            raise ValueError(f"{reference}: a manifest in S3 names objects of its own bucket only")
    return image


def _typed(row: dict[str, Any]) -> Item:
    """The row as an Item; a column that does not fit (a seed that is no number) is its error."""
    try:
        return Item.model_validate(row)
    except ValidationError as exc:
        problem = exc.errors()[0]
        column = ".".join(str(part) for part in problem["loc"])
        return Item(
            id=row["id"],
            line=row["line"],
            image=row.get("image"),
            instruction=row.get("instruction"),
            error=f"column {column}: {problem['msg']} (got {problem.get('input')!r})",
        )


def _is_csv(text: str, uri: str) -> bool:
    name = uri.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return False
    if name.endswith((".csv", ".tsv")):
        return True
    return not text.lstrip().startswith("{")


def _csv_rows(text: str, uri: str):
    dialect = "excel-tab" if uri.lower().endswith(".tsv") else "excel"
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "image" not in fields:
        raise ManifestError(
            f"{uri}: CSV header must name the columns id,image,instruction "
            f"(found {','.join(fields) or 'nothing'})"
        )
    reader.fieldnames = fields
    for row in reader:
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        clean = {k: v for k, v in row.items() if k is not None}
        yield reader.line_num, clean


def _jsonl_rows(text: str):
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            yield number, f"line {number} is not JSON: {exc}"
            continue
        if not isinstance(row, dict):
            yield number, f"line {number} is not a JSON object"
            continue
        yield number, row

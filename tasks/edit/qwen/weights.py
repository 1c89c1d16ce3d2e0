"""Finding the weights: a folder, or a hub id in the local Hugging Face cache (never the network
unless downloads are allowed), and which snapshot they are."""

from __future__ import annotations

import hashlib
from pathlib import Path

from config.model_config import DEFAULT_MODEL
from tasks.edit.qwen.errors import ModelUnavailable, missing_extra
from tasks.infra.errors import one_line


def resolve_weights(model: str, allow_download: bool = False) -> Path:
    """The local folder holding `model` (a folder, or a hub id in the Hugging Face cache).

    Never touches the network unless `allow_download`: a missing model is a clear error at once,
    not a download that hangs on a machine without internet.
    """
    path = Path(model).expanduser()
    if path.exists() or model.startswith((".", "/", "~")):
        if not (path / "model_index.json").is_file():
            raise ModelUnavailable(
                f"RETOUCH_MODEL={model}: no model_index.json there; point it at a folder holding "
                f"the {DEFAULT_MODEL} weights (or run `retouch model make-tiny DIR` for a test model)"
            )
        return path
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:
        raise missing_extra(exc) from None
    try:
        return Path(snapshot_download(model, local_files_only=True))
    except LocalEntryNotFoundError:
        if not allow_download:
            raise ModelUnavailable(
                f"weights for {model} are not on this machine (Hugging Face cache): fetch them with "
                f"`huggingface-cli download {model}` (~58 GB), or set RETOUCH_MODEL to a folder that "
                "holds them, or RETOUCH_MODEL_DOWNLOAD=1 to download at load time"
            ) from None
    except Exception as exc:  # a malformed id, a broken cache entry
        raise ModelUnavailable(f"cannot use RETOUCH_MODEL={model}: {one_line(exc, named=False)}") from None
    return Path(snapshot_download(model))


def weights_version(folder: Path) -> str:
    """Which weights these are: the hub commit of a cached snapshot, else a fingerprint of the
    folder's files (names, sizes, times), so that two different folders never share a cache."""
    if folder.parent.name == "snapshots":
        return folder.name
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return f"{folder.name}-{digest.hexdigest()[:12]}"

"""Reading text in pictures for the text and removal checks: rapidocr-onnxruntime, offline.

Its PP-OCR detection and recognition models (Chinese + English) ship inside the wheel; the engine
loads once per process (~0.5 s) and only when a check needs it. Install it without its
`opencv-python` dependency (Retouch uses opencv-python-headless; two cv2 packages in one
environment break each other):

    pip install 'retouch[ocr]' && pip install --no-deps rapidocr-onnxruntime==1.4.4
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache

import cv2
import numpy as np

INSTALL_HINT = "pip install 'retouch[ocr]' && pip install --no-deps rapidocr-onnxruntime==1.4.4"
MIN_SCORE = 0.6  # recognition confidence below this is not trusted as text
_LOCK = threading.Lock()  # the onnxruntime sessions are shared by the threads of a process


class OcrUnavailable(RuntimeError):
    """OCR cannot run here (the package is missing or failed to load)."""


@dataclass(frozen=True)
class Line:
    text: str
    score: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image read


@cache
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise OcrUnavailable(f"rapidocr-onnxruntime is not installed ({INSTALL_HINT})") from exc
    try:
        # no upscaling of small crops to a 736-pixel short side (the default: 6x slower), and no
        # 180-degree orientation classifier (product text is upright)
        return RapidOCR(det_limit_type="max", det_limit_side_len=960, use_cls=False)
    except Exception as exc:  # a broken install: say so once, as a reason for review
        raise OcrUnavailable(f"the OCR engine failed to load: {exc}") from exc


def read_lines(bgr: np.ndarray) -> list[Line]:
    """Every line of text read in `bgr` (uint8, 3 channels) with a trusted score.

    The picture is padded by repeating its edges first: the detector misses text that touches
    the border of a tight crop.
    """
    engine = _engine()
    pad = max(16, round(0.2 * min(bgr.shape[:2])))
    padded = cv2.copyMakeBorder(np.ascontiguousarray(bgr), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    with _LOCK:
        result, _ = engine(padded)
    lines = []
    for box, text, score in result or []:
        xs, ys = [p[0] - pad for p in box], [p[1] - pad for p in box]
        if float(score) >= MIN_SCORE and text.strip():
            lines.append(
                Line(text.strip(), float(score), (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))))
            )
    return lines


_CONFUSABLE = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1"})  # OCR's usual swaps


def canonical(text: str) -> str:
    """Text as compared: width-folded, case-folded, without spaces and punctuation, with the
    letters OCR confuses with digits (O/0, I/l/1) made one."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", text).translate(_CONFUSABLE)


def found(wanted: str, lines: list[Line], at_least: float = 0.9) -> tuple[bool, str]:
    """Is `wanted` among the lines (fuzzy, inside a longer line too, or split over lines read
    left to right)? And the closest reading."""
    target = canonical(wanted)
    best, best_text = 0.0, ""
    joined = " ".join(line.text for line in sorted(lines, key=lambda ln: (ln.box[1] // 20, ln.box[0])))
    for line in [*lines, Line(joined, 1.0, (0, 0, 0, 0))]:
        got = canonical(line.text)
        if not target or not got:
            continue
        if target in got:
            return True, line.text
        matcher = SequenceMatcher(None, target, got)
        block = matcher.find_longest_match(0, len(target), 0, len(got))
        window = got[max(0, block.b - block.a) : max(0, block.b - block.a) + len(target)]
        ratio = max(matcher.ratio(), SequenceMatcher(None, target, window).ratio())
        if ratio > best:
            best, best_text = ratio, line.text
    return best >= at_least, best_text

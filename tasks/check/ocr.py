"""Reading text in pictures for the text and removal checks: rapidocr-onnxruntime, offline.

Its PP-OCR detection and recognition models (Chinese + English) ship inside the wheel; the engine
loads once per process (~0.5 s) and only when a check needs it. Install it without its
`opencv-python` dependency (Retouch uses opencv-contrib-python-headless; two cv2 packages in one
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
READ_SIDE = 1280  # pictures are read at most this size on the long side
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
        # 180-degree orientation classifier (product text is upright). With limit type "max" the
        # detector keeps pictures up to 2000 px as they are: read_lines sets the size it reads.
        return RapidOCR(det_limit_type="max", det_limit_side_len=960, use_cls=False)
    except Exception as exc:  # a broken install: say so once, as a reason for review
        raise OcrUnavailable(f"the OCR engine failed to load: {exc}") from exc


def available() -> bool:
    """Can OCR run here?"""
    try:
        _engine()
    except OcrUnavailable:
        return False
    return True


def read_lines(bgr: np.ndarray, max_side: int = READ_SIDE) -> list[Line]:
    """Every line of text read in `bgr` (uint8, 3 channels) with a trusted score, boxes in its
    pixels. A picture larger than `max_side` is read at that size (the detector's cost grows
    with the area; product text is large enough at 1280 pixels).

    A small crop is padded by repeating its edges first: the detector misses text that touches
    the border of a tight crop.
    """
    engine = _engine()
    scale = min(1.0, max_side / max(bgr.shape[:2]))
    if scale < 1:
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    pad = max(16, round(0.2 * min(bgr.shape[:2]))) if min(bgr.shape[:2]) < 400 else 16
    padded = cv2.copyMakeBorder(np.ascontiguousarray(bgr), pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    with _LOCK:
        result, _ = engine(padded)
    lines = []
    for box, text, score in result or []:
        xs, ys = [(p[0] - pad) / scale for p in box], [(p[1] - pad) / scale for p in box]
        if float(score) >= MIN_SCORE and text.strip():
            lines.append(
                Line(text.strip(), float(score), (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))))
            )
    return lines


_CONFUSABLE = str.maketrans({"o": "0", "i": "1", "l": "1", "|": "1"})  # OCR's usual swaps


def canonical(text: str) -> str:
    """Text as compared for "is it (still) there": width-folded, case-folded, without spaces and
    punctuation, the letters OCR confuses with digits (O/0, I/l/1) made one. Whether new words
    are written exactly is `exact`, which does not fold them."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "", text).translate(_CONFUSABLE)


_WORD = r"[0-9a-z\u3400-\u9fff]"  # a character that would make a longer word
_SYMBOLS = re.compile(r"[^0-9a-z\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")


def in_reading_order(lines: list[Line]) -> list[Line]:
    """Lines ordered as read: rows (boxes whose middles lie within each other's height) top to
    bottom, left to right within a row."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2):
        middle = (line.box[1] + line.box[3]) / 2
        row = rows[-1] if rows else None
        if row and abs(middle - (row[0].box[1] + row[0].box[3]) / 2) <= 0.6 * max(
            1, row[0].box[3] - row[0].box[1]
        ):
            row.append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda ln: ln.box[0])]


def _letters(text: str) -> str:
    """Letters, digits and CJK characters only, case- and width-folded (symbols such as a
    currency sign or a dash are what OCR most often drops; they do not make another word)."""
    return _SYMBOLS.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def exact(wanted: str, lines: list[Line]) -> bool:
    """Are exactly the words `wanted` written: on one line, or over lines read in order, as a
    whole (not inside a longer word: "SALE" is not in "SALES"), each letter, digit and
    character as asked (O is not 0, I is not 1); only case, width, spacing and symbols aside."""
    target = "".join(_letters(wanted).split())
    if not target:
        return False
    spaced = r"\s*".join(re.escape(ch) for ch in target)
    pattern = re.compile(rf"(?<!{_WORD}){spaced}(?!{_WORD})")
    ordered = in_reading_order(lines)
    candidates = [ln.text for ln in lines] + [
        " ".join(ln.text for ln in ordered[i:j])
        for i in range(len(ordered))
        for j in range(i + 2, len(ordered) + 1)
    ]
    return any(pattern.search(_letters(text)) for text in candidates)


def similarity(wanted: str, text: str) -> float:
    """How well `text` reads as `wanted` (0-1): the whole, or the best window of its length."""
    target, got = canonical(wanted), canonical(text)
    if not target or not got:
        return 0.0
    if target in got:
        return 1.0
    matcher = SequenceMatcher(None, target, got)
    block = matcher.find_longest_match(0, len(target), 0, len(got))
    window = got[max(0, block.b - block.a) : max(0, block.b - block.a) + len(target)]
    return max(matcher.ratio(), SequenceMatcher(None, target, window).ratio())


def found(wanted: str, lines: list[Line], at_least: float = 0.9) -> tuple[bool, str]:
    """Is `wanted` among the lines, even misread a little (fuzzy, inside a longer line too, or
    split over lines read left to right)? And the closest reading. For "is it still there"."""
    joined = " ".join(line.text for line in in_reading_order(lines))
    best, best_text = 0.0, ""
    for text in [*(line.text for line in lines), joined]:
        score = similarity(wanted, text)
        if score > best:
            best, best_text = score, text
    return best >= at_least and best > 0, best_text


def enhanced(bgr: np.ndarray) -> np.ndarray:
    """The picture with its local contrast stretched: faint letters (a ghost of old text under
    new paint, a faded watermark) become legible to the reader."""
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    detail = grey - cv2.GaussianBlur(grey, (0, 0), max(4.0, min(grey.shape) / 8))
    spread = float(np.percentile(np.abs(detail), 99)) + 1e-3
    stretched = np.clip(128 + detail * (100 / spread), 0, 255).astype(np.uint8)
    return cv2.cvtColor(stretched, cv2.COLOR_GRAY2BGR)

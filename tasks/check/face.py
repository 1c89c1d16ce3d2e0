"""A face the request does not name stays the same person: "换一件红色的衬衫" on a model must not
change her face. Faces are found in the before picture with the frontal-face Haar cascade that
ships with OpenCV (opencv-contrib's cv2.data, no download) and compared before/after at a fixed
size (SSIM of the grey face). Pure functions of a PairContext.
"""

from __future__ import annotations

import re
from functools import cache

import cv2
import numpy as np

from config.contracts import Finding
from tasks.check.context import PairContext
from tasks.check.findings import finding
from tasks.check.measures import grey, small, ssim

SIDE = 384  # faces are looked for on a copy this size on the long side
FACE = 96  # ... and compared at this size
MIN_FACE = 0.06  # of the short side: smaller faces are too small to compare
_NAMES_A_FACE = re.compile(
    r"脸|面部|五官|表情|妆|发型|头发|发色|眼睛|嘴|微笑|人像|换人|模特换|"
    r"face|facial|expression|make-?up|hair|eyes?\b|smile|lips|portrait|identity|person|model\b|beard"
)


@cache
def _detector():
    """The cascade, or None where this OpenCV has none (then faces are not measured)."""
    classifier = getattr(cv2, "CascadeClassifier", None)
    data = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if classifier is None or data is None:
        return None
    cascade = classifier(data + "haarcascade_frontalface_default.xml")
    return None if cascade.empty() else cascade


def faces(before: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(x, y, w, h) in full-size pixels of the clear frontal faces in a picture (BGR or grey),
    largest first."""
    detector = _detector()
    if detector is None:
        return []
    g = small(grey(before), SIDE)
    factor = before.shape[1] / g.shape[1]
    least = max(20, round(MIN_FACE * min(g.shape)))
    found = detector.detectMultiScale(cv2.equalizeHist(g), 1.2, 6, minSize=(least, least))
    boxes = [tuple(int(round(v * factor)) for v in box) for box in (found if len(found) else [])]
    return sorted(boxes, key=lambda b: -b[2] * b[3])


def face_kept(ctx: PairContext, instruction_words: str) -> list[Finding]:
    """Each face found before (up to two) is the same after, unless the request is about it (a
    face the request says to keep is compared; one not found is left to the measures of the
    rest of the picture, like any kept thing the checks cannot locate)."""
    keep_face = any(names_a_face(what) for what in (ctx.intent.keep if ctx.intent else ()))
    if not keep_face and (ctx.expect.scope == "global" or names_a_face(instruction_words)):
        return []
    out = []
    for x, y, w, h in faces(ctx.full_greys[0])[:2]:
        a = cv2.resize(grey(ctx.before[y : y + h, x : x + w]), (FACE, FACE), interpolation=cv2.INTER_AREA)
        b = cv2.resize(grey(ctx.after[y : y + h, x : x + w]), (FACE, FACE), interpolation=cv2.INTER_AREA)
        same = ssim(a, b)
        message = f"a face the request does not change has SSIM {same:.2f} with the original's"
        out.append(finding("face", same, ctx.t.face_ssim, same >= ctx.t.face_ssim, message, 0.15))
    return [min(out, key=lambda f: f.value)] if out else []


def names_a_face(words: str) -> bool:
    return bool(_NAMES_A_FACE.search(words.lower()))

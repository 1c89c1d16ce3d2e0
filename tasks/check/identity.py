"""Does the product of a reference picture still look like itself in a multi-image edit?

"让图2的模特穿上图1的衣服": the garment of picture 1 must be the same garment in the output, not a
look-alike. For each reference: its product is found (the border-seeded segmentation of
tasks/check/subject.py), its keypoints are matched into the output (ORB, ratio test, a RANSAC
homography: the same printed pattern, logo, stitching), and its colours compared where it
landed (hue-saturation histograms). Too few geometric matches, or other colours, fail; a
reference without a product that stands out cannot be measured, so it fails too (review).
Pure functions over arrays.
"""

from __future__ import annotations

import cv2
import numpy as np

from config.contracts import Finding
from tasks.check.findings import cannot_measure, finding
from tasks.check.subject import subject_mask
from tasks.pixels.background import colour_bgr

SIDE = 640  # both pictures are matched at this size on the long side
MIN_INLIERS = 12  # matching keypoints consistent with one homography
MIN_COLOUR = 0.5  # hue-saturation histogram correlation where the product landed


def _resized(img: np.ndarray, side: int = SIDE) -> np.ndarray:
    scale = side / max(img.shape[:2])
    return cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else img


def _histogram(bgr: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], mask, [30, 32], [0, 180, 0, 256])
    return cv2.normalize(hist, hist).flatten()


def product_kept(reference: np.ndarray, output: np.ndarray, index: int) -> Finding:
    """One finding: the product of reference `index` (1-based: picture index + 1) in `output`."""
    name = f"reference-{index}"
    ref = _resized(colour_bgr(reference))
    out = _resized(colour_bgr(output))
    mask = subject_mask(ref)
    if mask is None:
        return cannot_measure(name, f"no product stands out in picture {index}")
    orb = cv2.ORB_create(1500)
    ref_grey, out_grey = cv2.cvtColor(ref, cv2.COLOR_BGR2GRAY), cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    kp_ref, des_ref = orb.detectAndCompute(ref_grey, mask.astype(np.uint8) * 255)
    kp_out, des_out = orb.detectAndCompute(out_grey, None)
    inliers, homography = 0, None
    if des_ref is not None and des_out is not None and len(kp_ref) >= 4 and len(kp_out) >= 4:
        pairs = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(des_ref, des_out, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance]
        if len(good) >= 4:
            src = np.float32([kp_ref[m.queryIdx].pt for m in good])
            dst = np.float32([kp_out[m.trainIdx].pt for m in good])
            homography, kept = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
            inliers = int(kept.sum()) if kept is not None else 0
    colour = 0.0
    if homography is not None and inliers >= MIN_INLIERS:
        landed = cv2.warpPerspective(mask.astype(np.uint8) * 255, homography, out.shape[1::-1])
        if landed.any():
            before = _histogram(ref, mask.astype(np.uint8) * 255)
            colour = float(cv2.compareHist(before, _histogram(out, landed), cv2.HISTCMP_CORREL))
    passed = inliers >= MIN_INLIERS and colour >= MIN_COLOUR
    return finding(
        name,
        float(inliers),
        MIN_INLIERS,
        passed,
        f"the product of picture {index}: {inliers} matching features (at least {MIN_INLIERS}), "
        f"colour similarity {colour:.2f} (at least {MIN_COLOUR})"
        + ("" if passed else ": not recognisably the same product"),
        MIN_INLIERS,
    )


def references_kept(references: list[np.ndarray], output: np.ndarray) -> list[Finding]:
    """A finding per reference picture (they are pictures 2, 3... of the edit)."""
    return [product_kept(ref, output, n) for n, ref in enumerate(references, 2)]

"""Global motion between an original and its edit: how far the whole frame moved, scaled and
turned (the image model's known drift), measured on what the edit left alone."""

from __future__ import annotations

import cv2
import numpy as np

from tasks.check.measures import Frames


def global_motion(
    frames: Frames, changed: np.ndarray | None = None
) -> tuple[float, float, float, float, bool] | None:
    """(dx, dy, scale, degrees, precise) of the whole frame, or None when it cannot be measured.

    ORB keypoints matched between the two and a RANSAC similarity fit: the unchanged parts of the
    picture outvote whatever the edit itself moved, added or removed. Smooth studio shots have
    too few keypoints: then the frames' edge maps are registered in the Fourier domain
    (Fourier-Mellin: scale and rotation from the log-polar spectra, then the shift by phase
    correlation) outside the `changed` area, which needs edges, not texture, is less precise
    (`precise` False) and is used only when its peak is clear.
    """
    a, b = frames.greys(448)
    warp = orb_motion(a, b)
    if warp is not None:
        factor = frames.width / a.shape[1]
        h, w = a.shape
        scale = float(np.sqrt(abs(np.linalg.det(warp[:, :2]))))
        degrees = float(np.degrees(np.arctan2(warp[1, 0], warp[0, 0])))
        centre = np.array([w / 2, h / 2], np.float32)  # a scale about the origin, re-centred
        moved = warp[:, :2] @ centre + warp[:, 2] - centre
        return float(moved[0] * factor), float(moved[1] * factor), scale, degrees, True
    return _spectral_motion(frames, changed)


MIN_INLIERS = 25  # fewer RANSAC inliers than this: ORB's fit is not trusted
MIN_PEAK = 0.3  # phase-correlation peak below this: the spectral registration is not trusted
SPECTRAL_TURN_SLACK = 0.5  # degrees of rotation the spectral registration cannot resolve


def orb_motion(a: np.ndarray, b: np.ndarray, features: int = 1000) -> np.ndarray | None:
    """The 2x3 similarity taking `a`'s pixel coordinates to `b`'s (ORB keypoints, RANSAC), or
    None when too few keypoints agree."""
    orb = cv2.ORB_create(nfeatures=features, fastThreshold=10)
    ka, da = orb.detectAndCompute(a, None)
    kb, db = orb.detectAndCompute(b, None)
    if da is None or db is None or len(ka) < 12 or len(kb) < 12:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    if len(matches) < 12:
        return None
    src = np.float32([ka[m.queryIdx].pt for m in matches])
    dst = np.float32([kb[m.trainIdx].pt for m in matches])
    warp, inliers = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=1.5, maxIters=4000, confidence=0.995
    )
    if warp is None or inliers is None or int(inliers.sum()) < MIN_INLIERS:
        return None
    return warp


def _edges(grey: np.ndarray) -> np.ndarray:
    smooth = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.2)
    return cv2.magnitude(cv2.Sobel(smooth, cv2.CV_32F, 1, 0), cv2.Sobel(smooth, cv2.CV_32F, 0, 1))


def _spectral_motion(
    frames: Frames, changed: np.ndarray | None, side: int = 512
) -> tuple[float, float, float, float, bool] | None:
    """Fourier-Mellin registration of the two frames' edge maps (see global_motion)."""
    a, b = (_edges(grey) for grey in frames.greys(side))
    if a.shape != b.shape:
        return None
    h, w = a.shape
    if changed is not None:  # register on what the edit left alone
        grown = cv2.dilate(changed.astype(np.uint8), np.ones((5, 5), np.uint8))
        keep = 1 - cv2.GaussianBlur(
            cv2.resize(grown, (w, h), interpolation=cv2.INTER_NEAREST).astype(np.float32), (0, 0), 2
        )
        a, b = a * keep, b * keep
    window = cv2.createHanningWindow((w, h), cv2.CV_32F)

    def log_polar(edges: np.ndarray) -> np.ndarray:
        spectrum = np.log1p(np.fft.fftshift(np.abs(np.fft.fft2(edges * window)))).astype(np.float32)
        return cv2.warpPolar(
            spectrum, (w, h), (w / 2, h / 2), min(w, h) / 2, cv2.WARP_POLAR_LOG + cv2.INTER_LINEAR
        )

    (log_r, turn), _ = cv2.phaseCorrelate(log_polar(a), log_polar(b))
    degrees = ((-360.0 * turn / h) + 90) % 180 - 90  # a spectrum cannot tell a half turn
    scale = float(np.exp(-log_r * np.log(min(w, h) / 2) / w))
    undo = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1 / scale)
    (dx, dy), peak = cv2.phaseCorrelate(a * window, cv2.warpAffine(b, undo, (w, h)) * window)
    if peak < MIN_PEAK:
        return None
    factor = frames.width / w
    return float(dx * factor), float(dy * factor), scale, float(degrees), False

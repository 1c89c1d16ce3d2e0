"""Post-checks: is an edited image safe to publish, or must a person look at it?

Pure functions on OpenCV arrays. Each check returns a Finding (value, threshold, passed,
message); the Report's verdict is `review` if any check fails, and its confidence is the
smallest margin left by any check. They are written for the known failure modes of image
editing models (Qwen-Image-Edit-2509 shifts or zooms the whole frame by a few pixels, casts a
colour, changes the resolution, or returns noise, a blank or a blocky frame, or nothing at all),
while tolerating what a good model output looks like: the whole frame slightly soft and
slightly noisy from the VAE round trip, and real change only where the instruction points.

Most measurements run on copies scaled to WORK_SIDE pixels on the long side, so a pair of
1 MP images takes a few tens of milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from config.contracts import MODEL_OP, Finding, Plan, Report
from config.thresholds import Thresholds
from routing.normalize import normalise
from routing.vocabulary import load_vocabulary
from tasks.findings import cannot_measure, finding
from tasks.measures import Frames, grey, ssim
from tasks.request_checks import needs_subject, request_findings
from tasks.subject import subject_mask

GEOMETRY_OPS = {"crop", "trim", "resize", "rotate", "pad"}
_GLOBAL_WORDS = re.compile(
    r"风格|风|整张|整体|全图|全部|画面|滤镜|复古|怀旧|胶片|卡通|动漫|二次元|油画|水彩|素描|手绘|赛博朋克|像素|色调|光线|光影|"
    r"季节|冬天|夏天|夜景|白天|黑夜|style|whole|entire|overall|filter|vintage|retro|sepia|cartoon|"
    r"anime|painting|watercolou?r|sketch|cyberpunk|pixel|tone|lighting|season|winter|summer|night|"
    r"day(?:time)?|look like|as if"
)
_BACKGROUND_WORDS = re.compile(r"背景|底色|白底|场景|背后|background|backdrop|scene|behind|surroundings")


# ------------------------------------------------------------------------------------------------
# the instruction's expectations


@dataclass(frozen=True)
class Expectation:
    scope: str  # local | background | global
    region: tuple[tuple[float, float], tuple[float, float]] | None  # where a local edit belongs
    size_may_change: bool


def expectation(instruction: str | None, plan: Plan | None) -> Expectation:
    text = normalise(instruction or "")
    ops = plan.ops if plan else ()
    prompt = normalise(plan.model_prompt or "") if plan and plan.model_prompt else text
    opencv_only = bool(ops) and all(op.name != MODEL_OP for op in ops)
    intent = plan.intent if plan else None
    if opencv_only or (intent and intent.action == "style") or _GLOBAL_WORDS.search(prompt):
        scope = "global"
    elif (intent and intent.action in ("background", "blur")) or _BACKGROUND_WORDS.search(prompt):
        scope = "background"
    else:
        scope = "local"
    region = None
    if scope == "local":  # the router's region, from the vocabulary the checks share with it
        named = intent.region if intent else load_vocabulary().region_in(prompt)
        region = named.box if named else None
    return Expectation(scope, region, any(op.name in GEOMETRY_OPS for op in ops))


# ------------------------------------------------------------------------------------------------
# measurements


def _centre_block(grey: np.ndarray, side: int = 512) -> np.ndarray:
    """The central side x side pixels at full resolution, on the 8x8 JPEG grid."""
    h, w = grey.shape
    y = max(0, (h - side) // 2) // 8 * 8
    x = max(0, (w - side) // 2) // 8 * 8
    return grey[y : y + side, x : x + side]


def noise_sigma(grey: np.ndarray) -> float:
    """Immerkaer's fast noise estimate (robust: median of |Laplacian| on flat areas)."""
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = np.abs(cv2.filter2D(grey.astype(np.float32), -1, kernel))[1:-1, 1:-1]
    edges = cv2.Canny(grey, 60, 160)[1:-1, 1:-1] > 0
    flat = response[~cv2.dilate(edges.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)]
    values = flat if flat.size > 1000 else response.ravel()
    return float(np.median(values) * np.sqrt(np.pi / 2) / 6)


def blockiness(grey: np.ndarray) -> tuple[float, float]:
    """Energy across 8x8 block edges relative to inside blocks (JPEG at very low quality), and
    the excess in grey levels (a smooth studio backdrop has a high ratio of tiny numbers)."""
    g = grey.astype(np.float32)
    dx = np.abs(np.diff(g, axis=1))
    dy = np.abs(np.diff(g, axis=0))
    cols = np.arange(dx.shape[1])
    rows = np.arange(dy.shape[0])
    edge = dx[:, cols % 8 == 7].mean() + dy[rows % 8 == 7, :].mean()
    inner = dx[:, cols % 8 != 7].mean() + dy[rows % 8 != 7, :].mean()
    return float(edge / max(inner, 1e-3)), float(edge - inner)


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
    warp = _orb_motion(a, b)
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


def _orb_motion(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    orb = cv2.ORB_create(nfeatures=1000, fastThreshold=10)
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


def difference(frames: Frames) -> np.ndarray:
    """Per-pixel change on small copies, blurred first so VAE softness and noise do not count."""
    a = cv2.GaussianBlur(frames.small_before.astype(np.float32), (0, 0), 1.5)
    b = cv2.GaussianBlur(frames.small_after.astype(np.float32), (0, 0), 1.5)
    return np.abs(a - b).max(axis=2)


def changed_mask(diff: np.ndarray, level: float) -> np.ndarray:
    """Where the picture really changed: above `level`, specks removed, edges grown a little."""
    mask = (diff > level).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.dilate(mask, np.ones((7, 7), np.uint8)).astype(bool)


def _sharpness(grey: np.ndarray, where: np.ndarray) -> float:
    """Mean |Laplacian| per unit of contrast: blur lowers it, a tone or colour change does not."""
    lap = np.abs(cv2.Laplacian(grey, cv2.CV_32F))[where].mean()
    return float(lap / (grey[where].std() + 1.0))


# ------------------------------------------------------------------------------------------------
# the checks


def check_pair(
    before: np.ndarray,
    after: np.ndarray,
    instruction: str | None = None,
    plan: Plan | None = None,
    thresholds: Thresholds | None = None,
    always_review: str | None = None,
) -> Report:
    """Run every check on an edit; `always_review` names a rule that forces review.

    The artifact and drift checks run on every edit; the plan's intent adds the checks of what
    was asked (tasks/request_checks.py). A check that cannot measure fails (review).
    """
    t = thresholds or Thresholds()
    expect = expectation(instruction, plan)
    findings: list[Finding] = []
    gb, ga = grey(before), grey(after)
    frames = Frames.of(before, after)
    small_b = cv2.cvtColor(frames.small_before, cv2.COLOR_BGR2GRAY)
    small_a = cv2.cvtColor(frames.small_after, cv2.COLOR_BGR2GRAY)

    # frame sanity
    std = float(small_a.std())
    blank_ok = std > t.blank_std or small_b.std() <= t.blank_std
    findings.append(
        finding(
            "blank",
            std,
            t.blank_std,
            blank_ok,
            f"luma spread {std:.1f}" + (" (a blank frame)" if std <= t.blank_std else ""),
            20,
        )
    )
    crop_b, crop_a = _centre_block(gb), _centre_block(ga)  # full resolution, 8x8-aligned
    na, nb = noise_sigma(crop_a), noise_sigma(crop_b)
    findings.append(
        finding(
            "noise",
            na - nb,
            t.noise_increase,
            na - nb <= t.noise_increase,
            f"noise sigma {na:.1f} (before {nb:.1f})",
            5,
        )
    )
    (ba, excess), (bb, _) = blockiness(crop_a), blockiness(crop_b)
    block_ok = ba <= max(t.blockiness, bb * 1.15) or excess <= t.block_excess
    findings.append(
        finding(
            "blockiness",
            ba,
            t.blockiness,
            block_ok,
            f"8x8 block edges {ba:.2f}x in-block energy (before {bb:.2f})",
            0.5,
        )
    )

    # size and aspect
    same_size = ga.shape == gb.shape
    size_ok = same_size or expect.size_may_change
    findings.append(
        Finding(
            "size",
            None,
            None,
            size_ok,
            f"{gb.shape[1]}x{gb.shape[0]} -> {ga.shape[1]}x{ga.shape[0]}"
            + ("" if size_ok else " (a size change nobody asked for)"),
            1.0 if size_ok else 0.0,
        )
    )
    if not same_size:  # the pixel-by-pixel checks below compare like with like only
        return _report(findings, plan, t, always_review)

    # what changed, and where
    diff = difference(frames)
    mask = changed_mask(diff, t.changed_level)

    # global motion, measured on what the edit left alone
    intent = plan.intent if plan else None
    subject = subject_mask(frames.small_before) if needs_subject(intent) else None
    # (a new background changes most of the frame: then the product's outline is what registers)
    motion = global_motion(frames, None if expect.scope == "background" else mask)
    if motion is None:
        findings.append(
            cannot_measure("shift", "too little in common between before and after to measure global motion")
        )
    else:
        dx, dy, scale, degrees, precise = motion
        turn_limit = t.max_rotation + (0 if precise else SPECTRAL_TURN_SLACK)
        # the spectral registration resolves about a third of a pixel of its 512-pixel grid
        shift_limit = max(t.max_shift_px, 0 if precise else max(before.shape[:2]) / 512 / 3 * 2)
        moved = float(np.hypot(dx, dy))
        findings.append(
            finding(
                "shift",
                moved,
                shift_limit,
                moved <= shift_limit,
                f"whole frame moved by ({dx:+.1f}, {dy:+.1f}) px",
                shift_limit,
            )
        )
        zoom = abs(scale - 1)
        findings.append(
            finding(
                "zoom", zoom, t.max_zoom, zoom <= t.max_zoom, f"whole frame scaled by {scale:.3f}", t.max_zoom
            )
        )
        findings.append(
            finding(
                "rotation",
                abs(degrees),
                turn_limit,
                abs(degrees) <= turn_limit,
                f"whole frame turned by {degrees:+.2f} degrees",
                turn_limit,
            )
        )

    share = float(mask.mean())
    touched = float(changed_mask(diff, t.noop_level).mean())
    # the part the edit left alone must not be blown out or smeared
    kept = ~mask if (~mask).mean() > 0.1 else np.ones_like(mask)
    if expect.scope == "local":  # white backgrounds and high-key styles clip on purpose
        clip_a = float(((small_a <= 2) | (small_a >= 253))[kept].mean())
        clip_b = float(((small_b <= 2) | (small_b >= 253))[kept].mean())
        findings.append(
            finding(
                "clipped",
                clip_a - clip_b,
                t.clipped_increase,
                clip_a - clip_b <= t.clipped_increase,
                f"{clip_a:.0%} of the unedited pixels at black/white (before {clip_b:.0%})",
                0.25,
            )
        )
    # a new style may smooth on purpose (watercolour, cartoon), and so does a background blur
    if expect.scope != "global" and not (intent and intent.action == "blur"):
        detail = float(np.abs(cv2.Laplacian(small_b, cv2.CV_32F))[kept].mean())
        ratio = _sharpness(small_a, kept) / max(_sharpness(small_b, kept), 1e-6)
        if detail < t.min_detail:  # a plain studio backdrop or product: nothing there to smear
            findings.append(
                finding(
                    "blur",
                    detail,
                    t.min_detail,
                    True,
                    f"the unedited part is plain (detail {detail:.1f} grey levels): nothing to blur",
                    0.5,
                )
            )
        else:
            findings.append(
                finding(
                    "blur",
                    ratio,
                    t.blur_ratio,
                    ratio >= t.blur_ratio,
                    f"detail {ratio:.0%} of the original's outside the edit",
                    0.4,
                )
            )
    findings.append(
        finding(
            "no-op",
            touched,
            t.min_changed,
            touched >= t.min_changed,
            f"{touched:.1%} of the frame changed"
            + ("" if touched >= t.min_changed else " (the edit did nothing)"),
            t.min_changed * 4,
        )
    )
    if expect.scope == "local":
        findings.append(
            finding(
                "scope",
                share,
                t.local_max_changed,
                share <= t.local_max_changed,
                f"{share:.0%} of the frame changed for a local edit",
                t.local_max_changed / 2,
            )
        )
        if expect.region and mask.any():
            ys, xs = np.nonzero(mask)
            cx, cy = xs.mean() / mask.shape[1], ys.mean() / mask.shape[0]
            (x0, x1), (y0, y1) = expect.region
            m = t.side_margin
            inside = bool(x0 - m <= cx <= x1 + m and y0 - m <= cy <= y1 + m)
            findings.append(
                Finding(
                    "position",
                    round(float(cx), 3),
                    None,
                    inside,
                    f"the change is centred at ({cx:.0%}, {cy:.0%}) of the frame;"
                    f" the instruction points to x {x0:.0%}-{x1:.0%}, "
                    f"y {y0:.0%}-{y1:.0%}",
                    1.0 if inside else 0.0,
                )
            )

    if expect.scope != "global":
        outside = ~mask
        if expect.scope == "background" and subject is not None:
            # the product only: what is left of the old backdrop may shift colour with the new one
            core = cv2.erode(subject.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
            outside = core & ~mask if (core & ~mask).mean() > 0.01 else outside
        if outside.mean() > 0.01:
            lab_b = cv2.cvtColor(frames.small_before, cv2.COLOR_BGR2LAB).astype(np.float32)
            lab_a = cv2.cvtColor(frames.small_after, cv2.COLOR_BGR2LAB).astype(np.float32)
            shift_ab = np.abs((lab_a - lab_b)[outside].mean(axis=0))
            cast = float(max(shift_ab[1], shift_ab[2]))
            findings.append(
                finding(
                    "colour-cast",
                    cast,
                    t.cast,
                    cast <= t.cast,
                    f"colour moved by {cast:.1f} (Lab a*/b*) outside the edit",
                    t.cast,
                )
            )
            kept = ssim(small_b, small_a, outside)
            findings.append(
                finding(
                    "background",
                    kept,
                    t.background_ssim,
                    kept >= t.background_ssim,
                    f"SSIM {kept:.2f} outside the edited area",
                    0.2,
                )
            )
    findings += request_findings(before, after, frames, mask, subject, intent, t)
    return _report(findings, plan, t, always_review)


def _report(findings: list[Finding], plan: Plan | None, t: Thresholds, always_review: str | None) -> Report:
    if plan is not None:
        ok = plan.confidence >= t.min_plan_confidence
        findings.append(
            finding(
                "routing",
                plan.confidence,
                t.min_plan_confidence,
                ok,
                f"routing confidence {plan.confidence:.2f}",
                0.3,
            )
        )
    if always_review:
        findings.append(Finding("rule", None, None, False, always_review, 0.0))
    failed = [f for f in findings if not f.passed]
    confidence = min((f.margin for f in findings), default=1.0)
    return Report("review" if failed else "publish", confidence if not failed else 0.0, findings)

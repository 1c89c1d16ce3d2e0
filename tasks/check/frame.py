"""Measures of the frame itself, whatever was asked: a blank, noisy or blocky frame, a size
nobody asked for, detail lost where nothing was edited (an output made small and upscaled, or
smoothed), and a frame processed in tiles (straight seams or steps of tone on a tile grid).

Pure functions of a PairContext (tasks/check/context.py).
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from config.contracts import Finding
from tasks.check.context import PairContext
from tasks.check.findings import cannot_measure, finding
from tasks.check.masks import box, grow, resized
from tasks.check.measures import blockiness, centre_block, noise_sigma

DETAIL_SIDE = 2048  # detail is measured at full resolution up to this long side
DETAIL_WINDOW = 128  # ... in windows of this many pixels
DETAIL_WINDOWS = 6  # ... the ones with the most detail in the original, where nothing was edited
FINE_BAND = (0.3, 0.5)  # cycles per pixel: what a VAE softens and oversharpening or noise adds to
MID_BAND = (0.15, 0.3)  # ... and what an output made at half size and upscaled has lost
MIN_BAND_POWER = 2.0  # the original's mean power in a band below this: nothing there to lose
TILE_SIZES = (32, 48, 64, 96, 128, 192, 256, 320, 384, 512, 640, 768)  # full-resolution tile sides tried


def frame_sanity(ctx: PairContext) -> list[Finding]:
    """A blank, noisy or blocky frame (the model returning noise, grey, or a broken encode)."""
    t = ctx.t
    findings: list[Finding] = []
    std = float(ctx.grey_after.std())
    blank_ok = std > t.blank_std or ctx.grey_before.std() <= t.blank_std
    message = f"luma spread {std:.1f}" + (" (a blank frame)" if std <= t.blank_std else "")
    findings.append(finding("blank", std, t.blank_std, blank_ok, message, 20))
    g_before, g_after = ctx.full_greys
    crop_b, crop_a = centre_block(g_before), centre_block(g_after)  # 8x8-aligned
    na, nb = noise_sigma(crop_a), noise_sigma(crop_b)
    message = f"noise sigma {na:.1f} (before {nb:.1f})"
    findings.append(finding("noise", na - nb, t.noise_increase, na - nb <= t.noise_increase, message, 5))
    (ba, excess), (bb, _) = blockiness(crop_a), blockiness(crop_b)
    block_ok = ba <= max(t.blockiness, bb * 1.15) or excess <= t.block_excess
    message = f"8x8 block edges {ba:.2f}x in-block energy (before {bb:.2f})"
    findings.append(finding("blockiness", ba, t.blockiness, block_ok, message, 0.5))
    return findings


def size_finding(before: np.ndarray, after: np.ndarray, size_may_change: bool) -> Finding:
    """A size change only where the plan resizes, crops, pads or turns."""
    gb, ga = before.shape[:2], after.shape[:2]
    ok = ga == gb or size_may_change
    message = f"{gb[1]}x{gb[0]} -> {ga[1]}x{ga[0]}" + ("" if ok else " (a size change nobody asked for)")
    return Finding("size", None, None, ok, message, 1.0 if ok else 0.0, badness=-1.0 if ok else 6.0)


# ------------------------------------------------------------------------------------------------
# detail kept where nothing was edited


def detail(ctx: PairContext) -> list[Finding]:
    """Detail where the edit left the picture alone, measured at full resolution in the windows
    of most detail: the power of two bands of spatial frequency, after over before. A VAE round
    trip softens the finest band (a little, or nearly all of it) and keeps the middle one; an
    output made at half size and upscaled, or smoothed to wax, loses the middle band too; halos
    of oversharpening, noise and banding add power to the finest band."""
    windows = _detail_windows(ctx)
    if not windows:
        return [cannot_measure("detail", "no unedited part of the picture has detail to compare")]
    before, after = _full_greys(ctx)
    power = np.array([[_band_powers(before[w]), _band_powers(after[w])] for w in windows])  # n, 2, 2
    (fine_before, mid_before), (fine_after, mid_after) = power.sum(axis=0)
    out = []
    t = ctx.t
    if mid_before / len(windows) < MIN_BAND_POWER:
        out.append(cannot_measure("detail-mid", "the unedited part has no fine detail"))
    else:
        kept = float(mid_after / mid_before)
        message = f"{kept:.0%} of the original's detail where nothing was edited" + (
            "" if kept >= t.mid_detail else " (made smaller and upscaled, or smoothed)"
        )
        out.append(finding("detail-mid", kept, t.mid_detail, kept >= t.mid_detail, message, 0.1))
    if fine_before / len(windows) >= MIN_BAND_POWER:
        extra = float(fine_after / fine_before)
        message = f"{extra:.0%} of the original's finest detail where nothing was edited" + (
            "" if extra <= t.sharpened else " (oversharpened, noisy or banded)"
        )
        out.append(finding("sharpened", extra, t.sharpened, extra <= t.sharpened, message, 0.5))
    return out


def _full_greys(ctx: PairContext) -> tuple[np.ndarray, np.ndarray]:
    g_before, g_after = ctx.full_greys
    scale = DETAIL_SIDE / max(g_before.shape)
    if scale < 1:
        size = (round(g_before.shape[1] * scale), round(g_before.shape[0] * scale))
        g_before = cv2.resize(g_before, size, interpolation=cv2.INTER_AREA)
        g_after = cv2.resize(g_after, size, interpolation=cv2.INTER_AREA)
    return g_before, g_after


def _detail_windows(ctx: PairContext) -> list[tuple[slice, slice]]:
    """Up to DETAIL_WINDOWS windows (full-resolution slices) left alone by the edit, with the most
    detail in the original."""
    height, width = ctx.before.shape[:2]
    scale = min(1.0, DETAIL_SIDE / max(height, width))
    height, width = round(height * scale), round(width * scale)
    side = DETAIL_WINDOW
    if min(height, width) < side:
        return []
    rows, cols = height // side, width // side
    kept = ~resized(grow(ctx.changed, 2), (height, width))[: rows * side, : cols * side]
    clean = kept.reshape(rows, side, cols, side).mean(axis=(1, 3)) >= 0.95
    small = ctx.grey_before  # the original's detail, on the small grid, over the same area
    covered = small[
        : round(small.shape[0] * rows * side / height), : round(small.shape[1] * cols * side / width)
    ]
    energy = cv2.resize(
        np.abs(cv2.Laplacian(covered, cv2.CV_32F)), (cols, rows), interpolation=cv2.INTER_AREA
    )
    ranked = [(energy[r, c], r, c) for r in range(rows) for c in range(cols) if clean[r, c]]
    ranked.sort(reverse=True)
    return [
        (slice(r * side, (r + 1) * side), slice(c * side, (c + 1) * side))
        for _, r, c in ranked[:DETAIL_WINDOWS]
    ]


@cache
def _spectral_grid(side: int) -> tuple[np.ndarray, np.ndarray]:
    """The radial frequency (cycles per pixel) of each FFT bin of a side x side window, and the
    window's Hann taper."""
    f = np.fft.fftfreq(side)
    return np.hypot(f[:, None], f[None, :]), np.outer(np.hanning(side), np.hanning(side)).astype(np.float32)


def _band_powers(window: np.ndarray) -> tuple[float, float]:
    """Mean spectral power of a window (Hann-tapered) in FINE_BAND and MID_BAND."""
    radius, taper = _spectral_grid(window.shape[0])
    values = window.astype(np.float32)
    spectrum = np.abs(np.fft.fft2((values - values.mean()) * taper)) ** 2 / (taper**2).sum()
    return tuple(
        float(spectrum[(radius >= low) & (radius < high)].mean()) for low, high in (FINE_BAND, MID_BAND)
    )


# ------------------------------------------------------------------------------------------------
# a frame processed in tiles


def tiles(ctx: PairContext) -> list[Finding]:
    """Straight steps of tone (or colour) along a tile grid: the edit made in tiles with a
    different tone each, or with seams between them. The step is read in the difference after -
    before (so the picture's own lines do not count), as the median along each line (so an
    edit's outline does not count), on every line of a grid of one tile size starting at the
    frame's corner; over the whole frame, and over the changed area alone (a product generated
    in tiles inside an untouched frame)."""
    difference = cv2.GaussianBlur(ctx.lab_after - ctx.lab_before, (0, 0), 1.0)
    scale = ctx.changed.shape[1] / ctx.frames.width
    best, where = _grid_steps(difference, scale, (0, 0))
    if 0.05 <= ctx.changed.mean() <= 0.8:
        x0, y0, x1, y1 = box(ctx.changed)
        inside, there = _grid_steps(difference[y0:y1, x0:x1], scale, (x0, y0))
        if inside > best:
            best, where = inside, there + " across the edit"
    t = ctx.t.tile_step
    message = f"a step of {best:.1f} (CIELAB) along {where}" if best > t else "no tile grid of tone steps"
    return [finding("tiles", best, t, best <= t, message, t)]


def _grid_steps(difference: np.ndarray, scale: float, origin: tuple[int, int]) -> tuple[float, str]:
    """The strongest tile grid (frame-anchored: `origin` is where `difference` starts in the
    frame) whose every line steps above the noise of the median steps across lines."""
    profiles = []  # per axis: the median step across each column (then row), and the noise's top
    for axis in (0, 1):
        steps = np.abs(np.diff(difference, axis=1 - axis)).sum(axis=2)
        profile = np.median(steps if axis == 0 else steps.T, axis=0)
        base = float(np.median(profile))
        profiles.append((profile, base + 3 * float(np.median(np.abs(profile - base)))))
    best, where = 0.0, ""
    for tile in TILE_SIZES:
        lines = [
            (axis, position)
            for axis, (profile, _) in enumerate(profiles)
            for k in range(1, 256)
            if 4 <= (position := round(k * tile * scale) - 1 - origin[axis]) <= profile.size - 4
        ]
        if len(lines) < 2:  # one line could be the picture's own (a table's edge)
            continue
        strength = min(  # every line of the grid, not one line of the picture
            float(profiles[axis][0][max(0, p - 1) : p + 2].max()) - profiles[axis][1] for axis, p in lines
        )
        if strength > best:
            best, where = strength, f"a grid of {tile}-pixel tiles"
    return best, where

"""The limits of every post-check, in one place (overridable: settings.check_thresholds)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """Limits of each check (defaults tuned for a VAE round trip at ~1 MP)."""

    blank_std: float = 3.0  # luma standard deviation of a frame with nothing in it
    clipped_increase: float = 0.25  # extra share of pixels stuck at 0 or 255
    noise_increase: float = 5.0  # rise of the estimated noise sigma (grey levels)
    blockiness: float = 1.6  # 8x8 grid edge energy over in-block energy
    block_excess: float = 3.0  # ... and above in-block energy by this many grey levels
    blur_ratio: float = 0.45  # after/before mean |Laplacian| outside the edit: a smeared frame
    min_detail: float = 2.0  # mean |Laplacian| (grey levels) below which there is nothing to blur
    max_shift_px: float = 2.0  # global translation, in full-resolution pixels
    max_zoom: float = 0.012  # global scale change (1.2%)
    max_rotation: float = 0.5  # global rotation, degrees
    # drift a composite corrects (tasks/composite.py); beyond these the model output goes to review
    max_corrected_shift: float = 0.03  # share of the long side
    max_corrected_zoom: float = 0.05  # scale change
    max_corrected_rotation: float = 2.0  # degrees
    cast: float = 5.0  # mean a*/b* shift (Lab) outside the edit
    min_layout: float = 0.5  # correlation of the coarse luminance layout (a style keeps the picture)
    background_ssim: float = 0.75  # structure kept outside the edit
    changed_level: float = 28.0  # a pixel counts as edited above this difference (0-255)
    noop_level: float = 12.0  # a smaller difference that still counts as "something changed"
    min_changed: float = 0.002  # share of the frame an edit must change (else: nothing done)
    local_max_changed: float = 0.4  # a local edit must not change more than this share
    side_margin: float = 0.0  # how far outside the named side the edit's centre may fall
    min_plan_confidence: float = 0.6  # routing confidence below this: review
    # did the edit do what was asked (tasks/request_checks.py)
    pure_level: int = 250  # "pure white": every channel at least this
    pure_share: float = 0.95  # ... on this share of the new background
    background_de: float = 18.0  # CIEDE2000 of the new background's colour to the named one
    subject_kept: float = 0.35  # share of the product (found in the before image) left unchanged
    border_changed: float = 0.5  # share of the frame's border a new background must cover
    recolour_hue: float = 20.0  # degrees between the changed area's hue and the named colour's
    recolour_de: float = 22.0  # CIEDE2000 for white/black/grey requests (no hue to compare)
    recolour_connected: float = 0.8  # share of the change in its largest connected piece
    recolour_pieces: int = 1  # separate changed pieces a recolour may have (specks not counted)
    removal_covered: float = 0.6  # share of the outlined area a removal must change
    kept_changed: float = 0.1  # share of a kept region allowed to change
    blurred_detail: float = 0.8  # a blurred background keeps at most this share of its detail
    seams: int = 4  # this many evenly spaced straight lines across the change: tile seams

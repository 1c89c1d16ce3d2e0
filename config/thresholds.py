"""The levels of every measure a person would call wrong, in one place (overridable:
settings.check_thresholds), and the publish threshold that the costs of a review and of a wrong
published image set."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Thresholds:
    """Limits of each check (defaults tuned for a VAE round trip at ~1 MP)."""

    blank_std: float = 3.0  # luma standard deviation of a frame with nothing in it
    clipped_increase: float = 0.25  # extra share of pixels stuck at 0 or 255
    noise_increase: float = 5.0  # rise of the estimated noise sigma (grey levels)
    blockiness: float = 1.6  # 8x8 grid edge energy over in-block energy
    block_excess: float = 3.0  # ... and above in-block energy by this many grey levels
    min_detail: float = 2.0  # mean |Laplacian| (grey levels) of a background with something to blur
    max_shift_px: float = 2.0  # global translation, in full-resolution pixels
    max_zoom: float = 0.012  # global scale change (1.2%)
    max_rotation: float = 0.5  # global rotation, degrees
    # drift a composite corrects (tasks/edit/composite.py); beyond these the model output goes to review
    max_corrected_shift: float = 0.03  # share of the long side
    max_corrected_zoom: float = 0.05  # scale change
    max_corrected_rotation: float = 2.0  # degrees
    cast: float = 5.0  # mean a*/b* shift (Lab) outside the edit
    min_layout: float = 0.5  # correlation of the coarse luminance layout (a style keeps the picture)
    look_gap: float = 20.0  # levels by which one part's colour mapping misses another (a half-done style)
    blown_out: float = 0.3  # extra share of the frame with a channel at 0 or 255 after a grade or style
    background_ssim: float = 0.75  # structure kept outside the edit
    changed_level: float = 28.0  # a pixel counts as edited above this difference (0-255)
    noop_level: float = 12.0  # a smaller difference that still counts as "something changed"
    min_changed: float = 0.002  # share of the frame an edit must change (else: nothing done)
    local_max_changed: float = 0.4  # a local edit must not change more than this share
    side_margin: float = 0.0  # how far outside the named side the edit's centre may fall
    min_plan_confidence: float = 0.6  # routing confidence below this: review
    # did the edit do what was asked (tasks/check/request.py)
    pure_level: int = 250  # "pure white": every channel at least this
    pure_share: float = 0.85  # ... on this share of the new background (a soft shadow may stay)
    background_de: float = 18.0  # CIEDE2000 of the new background's colour to the named one
    subject_kept: float = 0.35  # share of the product (found in the before image) left unchanged
    recolour_hue: float = 20.0  # degrees between the changed area's hue and the named colour's
    recolour_de: float = 25.0  # CIEDE2000 of the recoloured area to the named colour (navy: royal blue?)
    recolour_grey: float = 25.0  # lightness + chroma off a white/black/grey asked
    source_de: float = 35.0  # CIEDE2000 (or hue degrees) of the recoloured object to the named one
    outline_share: float = 0.15  # share of a recolour's or removal's outline on edges of the original
    pattern_kept: float = 0.3  # correlation of a recoloured object's fine structure with the original's
    removal_covered: float = 0.6  # share of the outlined area a removal must change
    removal_ghost: float = (
        0.4  # correlation of what was removed with what is left beyond the surroundings' fill
    )
    removal_foreign: float = 0.35  # share of a filled area in colours its surroundings do not have
    removal_texture: float = (
        0.7  # log of the filled area's texture over its surroundings' (a new object: more)
    )
    kept_changed: float = 0.1  # share of a kept region allowed to change
    blurred_detail: float = 0.5  # a blurred background keeps at most this share of its detail
    tile_step: float = 0.4  # CIELAB step (L+a+b) along every line of a tile grid
    sharpened: float = 1.0  # fine detail over the original's where nothing was edited (halos, noise)
    mid_detail: float = 0.3  # middle-band detail kept where nothing was edited (upscaled: less)
    strict_background_de: float = 6.0  # CIEDE2000 of a white/black background to the asked one
    background_spread: float = 12.0  # CIEDE2000 spread of a plain new background
    backdrop_left: float = 0.01  # share of the frame that is old backdrop left (not by the product)
    ring_share: float = 0.6  # share of the ring around the product in the asked colour
    product_worst_ssim: float = 0.5  # SSIM of the least kept part of the product
    product_colour_de: float = 6.0  # CIEDE2000 the product's colour may move on a background edit
    face_ssim: float = 0.6  # SSIM of a face the request does not name
    text_ghost: float = 15.0  # grey levels by which replaced letters' strokes may still show


# What a review and a wrong published image cost (settings: reviewer_*, wrong_publish_usd; a
# preset may set its own wrong_publish_usd): the defaults of the publish threshold.
REVIEWER_HOUR_USD = 20.0
REVIEWER_MINUTES = 2.0  # a reviewer's working time per decision
REVIEW_USD = REVIEWER_HOUR_USD * REVIEWER_MINUTES / 60
WRONG_PUBLISH_USD = 5.0  # a wrong picture live: returns, complaints, a re-shoot, a listing flagged


# The share of model outputs that are wrong before any check: an operator's estimate (the review
# outcomes the ledger keeps tell it; `retouch gate costs`). The risk model is calibrated on a
# corpus where good and bad edits weigh the same; the risk it reports is moved to this rate.
EXPECTED_BAD_RATE = 0.15


@dataclass(frozen=True)
class Publishing:
    """How the gate decides: publish an edit whose risk is below `threshold`, the risk being
    moved to an expected share `bad_rate` of wrong model edits."""

    threshold: float = field(default_factory=lambda: publish_threshold())
    bad_rate: float = EXPECTED_BAD_RATE


def publish_threshold(review_usd: float = REVIEW_USD, wrong_publish_usd: float = WRONG_PUBLISH_USD) -> float:
    """The risk below which publishing costs less than a review, on average: a review costs
    `review_usd` whatever the edit; publishing costs `wrong_publish_usd` with probability `risk`
    (the risk is calibrated), so publish when risk x wrong_publish_usd < review_usd."""
    if wrong_publish_usd <= 0:
        return 1.0
    return float(min(1.0, max(0.0, review_usd / wrong_publish_usd)))

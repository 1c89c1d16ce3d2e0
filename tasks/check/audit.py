"""Does a picture meet a marketplace preset, and what would fix it at what cost?

Each rule of the preset (routing/presets.toml) is measured on the picture, nothing edited:
the background (the border band pure white), the product's fill of the frame (its box, from
the non-white pixels or a cut of a plain backdrop), the size and ratio, the format, and text or
watermarks (OCR). A rule that cannot be measured (no product stands out) is a violation: the
audit never passes what it could not check. Each violation names its fix, OpenCV (milliseconds)
or the model (a GPU edit), and the fixes' estimated cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from config.settings import Settings
from routing.presets import Preset
from tasks.pixels.background import colour_bgr, cut_background, product_box, pure_white_share
from tasks.record.estimates import model_usd, opencv_usd

WHITE_BORDER = 0.99


@dataclass
class AuditRow:
    image: str
    preset: str
    width: int = 0
    height: int = 0
    violations: list[str] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)
    estimated_usd: float = 0.0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.violations and self.error is None

    def to_dict(self) -> dict[str, object]:
        return {
            "image": self.image,
            "preset": self.preset,
            "passed": self.passed,
            "width": self.width,
            "height": self.height,
            "violations": self.violations,
            "fix": self.fixes,
            "estimated_usd": round(self.estimated_usd, 6),
            "error": self.error,
        }


def audit_picture(
    pixels: np.ndarray, fmt: str, image: str, preset: Preset, settings: Settings, read_text=None
) -> AuditRow:
    """The audit of one decoded picture (`fmt`: its format, e.g. "jpeg"); `read_text(bgr)`
    returns the text lines found (OCR) when the preset forbids text."""
    h, w = pixels.shape[:2]
    row = AuditRow(image, preset.label, w, h)
    mp = w * h / 1e6
    bgr = colour_bgr(pixels)

    def fix(violation: str, remedy: str, usd: float) -> None:
        row.violations.append(violation)
        row.fixes.append(remedy)
        row.estimated_usd += usd

    white = pure_white_share(bgr) >= WHITE_BORDER and not (pixels.ndim == 3 and pixels.shape[2] == 4)
    cut = None
    if preset.background == "pure-white" and not white:
        cut = cut_background(pixels)
        if cut.alpha is not None:
            fix(
                "background not pure white",
                "OpenCV: cut the product out onto pure white",
                opencv_usd(mp, settings),
            )
        else:
            fix(
                "background not pure white",
                "model: 把背景换成纯白 (the backdrop is not plain)",
                model_usd(settings),
            )
    if preset.fill:
        if white:
            box = product_box(((bgr < 245).any(axis=2)).astype(np.float32))
        else:
            cut = cut or cut_background(pixels)
            box = product_box(cut.alpha) if cut.alpha is not None else None
        if box is None:
            fix("product fill cannot be measured (no product stands out)", "a person: check the framing", 0.0)
        else:
            share = max(box[2] / w, box[3] / h)
            if share < preset.fill:
                fix(
                    f"the product fills {100 * share:.0f}% of the frame (at least {100 * preset.fill:.0f}%)",
                    f"OpenCV: crop around the product to {100 * preset.fill:.0f}%",
                    opencv_usd(mp, settings),
                )
    if preset.size and (w, h) != tuple(preset.size):
        want = f"{preset.size[0]}x{preset.size[1]}"
        fix(
            f"{w}x{h}, not {want}", f"OpenCV: pad to the ratio and resize to {want}", opencv_usd(mp, settings)
        )
    if preset.aspect and abs(w / h - preset.aspect[0] / preset.aspect[1]) > 0.01:
        ratio = f"{preset.aspect[0]:g}:{preset.aspect[1]:g}"
        fix(f"ratio {w / h:.2f}, not {ratio}", f"OpenCV: crop or pad to {ratio}", opencv_usd(mp, settings))
    if preset.min_longest and max(w, h) < preset.min_longest:
        fix(
            f"too small: {max(w, h)} px on the longest side (at least {preset.min_longest})",
            "OpenCV: upscale (softer: better a larger original)",
            opencv_usd(mp, settings),
        )
    if preset.min_side and min(w, h) < preset.min_side:
        fix(
            f"too small: {min(w, h)} px on the shortest side (at least {preset.min_side})",
            "OpenCV: upscale (softer: better a larger original)",
            opencv_usd(mp, settings),
        )
    if preset.format and fmt != preset.format:
        fix(f"{fmt.upper()}, not {preset.format.upper()}", f"OpenCV: save as {preset.format.upper()}", 0.0)
    if preset.no_text and read_text is not None:
        lines = read_text(bgr)
        if lines:
            shown = ", ".join(repr(line) for line in lines[:3])
            fix(f"text or watermark: {shown}", "model: remove the text and watermarks", model_usd(settings))
    return row

"""Sizes on paper in pixels: a length ("4 inches", "5厘米", "6×4英寸") at the one print
resolution a request states ("300dpi", "按150dpi") is that many pixels. Part of normalisation
(routing/normalize.py); the verifier asks about a print size said with no resolution."""

from __future__ import annotations

import re

#: a print resolution ("300dpi", "@ 254 dpi", "按150dpi"), and a length on paper ("4 inches", "5厘米",
#: "2 × 2 inches", "6×4英寸"): with one resolution stated, every length is that many pixels
_DPI = re.compile(r"(?<![\d.])(\d+)\s*(?:dpi|ppi)(?![a-z])", re.IGNORECASE)
_AT_DPI = re.compile(r"(?:\b(?:at|@)\s*|按\s*|@\s*)?(?<![\d.])\d+\s*(?:dpi|ppi)(?![a-z])", re.IGNORECASE)
#: the units of a length on paper ("in" only where it cannot be the word: "4 in wide", "6 x 4 in @")
PRINT_UNITS = r"inches|inch|in(?=\s*(?:(?:wide|tall|high|x|by|at)\b|@|,|$))|cm|厘米|公分|mm|毫米|英寸"
_LENGTH = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:(inches|inch|in|cm|厘米|公分|mm|毫米|英寸)\s*)?(?:[x×*]\s*(\d+(?:\.\d+)?)\s*)?"
    rf"({PRINT_UNITS}|metres?|meters?|米)(?![a-z])",
    re.IGNORECASE,
)
_PER_INCH = {"inches": 1.0, "inch": 1.0, "in": 1.0, "英寸": 1.0, "cm": 2.54, "厘米": 2.54, "公分": 2.54}
_PER_INCH |= dict.fromkeys(("metre", "metres", "meter", "meters", "米"), 0.0254)  # mm: the default, 25.4


def print_sizes_in_pixels(text: str) -> str:
    """Lengths on paper at the one print resolution the request states, as pixels: "宽4英寸，300dpi"
    is "宽1200 px", "2 × 2 inches at 200 dpi" is "400x400 px". Without a resolution, or with two,
    the text is left as it is (the router asks what a print size is in pixels)."""
    resolutions = {int(m.group(1)) for m in _DPI.finditer(text)}
    if len(resolutions) != 1 or not _LENGTH.search(text):
        return text
    (dpi,) = resolutions

    def pixels(number: str, unit: str) -> str:
        return f"{round(float(number) / _PER_INCH.get(unit.lower(), 25.4) * dpi)}"

    def length(m: re.Match[str]) -> str:
        unit = m.group(4)
        if m.group(3) is None:
            return f"{pixels(m.group(1), unit)} px"
        return f"{pixels(m.group(1), m.group(2) or unit)}x{pixels(m.group(3), unit)} px"

    text = _LENGTH.sub(length, text)
    return _AT_DPI.sub(" ", text)

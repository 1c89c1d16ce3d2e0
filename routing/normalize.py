"""Text clean-up before parsing: width, case, Chinese numerals, quotes.

The parser works on the normalised text only; the words sent to the image model keep their
original case and characters (only full-width forms are folded).
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMERAL = "零〇一二两俩三四五六七八九十百千万"
# Chinese numerals are converted only where they are quantities (before a unit or a ratio),
# so that words such as 一点 ("a bit") or 一下 stay words.
_NUMERAL_BEFORE_UNIT = re.compile(
    rf"([{_NUMERAL}]+)(?=\s*(?:度|倍|像素|px|%|比|:|x|×|乘|个像素|分之|成|厘米|寸|边|档|挡|ev|stop|k\b))"
)
_PERCENT_WORDS = re.compile(rf"百分之\s*([{_NUMERAL}\d.]+)")
_FRACTION_WORDS = re.compile(rf"([{_NUMERAL}\d]+)\s*分之\s*([{_NUMERAL}\d]+)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"',
                         "『": '"', "』": '"', "《": '"', "》": '"', "〈": "'", "〉": "'",
                         "。": ".", "、": ",", "～": "~", "—": "-", "–": "-", "−": "-"})
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202f\ufeff]")


def chinese_number(text: str) -> int | None:
    """Value of a Chinese numeral such as 九十, 一百八十, 两千, 三; None if it is not one."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            if digit is not None:  # digit strings such as 一二零 -> 120
                digit = digit * 10 + _DIGITS[ch]
            else:
                digit = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
    return total + section + (digit or 0)


def _numeral(match: re.Match[str]) -> str:
    value = chinese_number(match.group(1))
    return match.group(0) if value is None else str(value)


def fold_width(text: str) -> str:
    """NFKC-fold full-width letters, digits and punctuation; drop control characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text).translate(_QUOTES)
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    """The form the parser reads: folded, lower-case, numerals as digits."""
    text = fold_width(text).lower()
    text = _PERCENT_WORDS.sub(lambda m: f"{chinese_number(m.group(1)) or m.group(1)}%", text)
    text = _FRACTION_WORDS.sub(
        lambda m: f"{chinese_number(m.group(2)) or m.group(2)}/"
                  f"{chinese_number(m.group(1)) or m.group(1)}", text)
    text = _NUMERAL_BEFORE_UNIT.sub(_numeral, text)
    # "放大一倍" means twice the size; other N倍 already read as N times
    text = re.sub(r"(放大|扩大|增大|大)\s*1\s*倍", r"\g<1>2倍", text)
    text = text.replace("一半", "50%").replace("减半", "50%")
    return text

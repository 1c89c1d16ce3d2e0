"""Text clean-up before parsing: width, traditional Chinese (OpenCC), common miswritings, case,
numerals (Chinese and English words), quotes.

The parser works on the normalised text only; the words sent to the image model keep their
original case and characters (only full-width forms are folded).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import opencc
from text_to_num import alpha2digit

from routing.print_sizes import print_sizes_in_pixels
from routing.spelling import load_spelling

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMERAL = "零〇一二两俩三四五六七八九十百千万"
_N = rf"[{_NUMERAL}]+"
# Chinese numerals are converted only where they are quantities (before a unit, around a ratio
# or a size, after "to"/"成" at the end of a phrase), so that words such as 一点 ("a bit"),
# 一下, 十分 ("very") or 四周 ("all round") stay words.
_NUMERAL_BEFORE_UNIT = re.compile(
    rf"({_N})(?=\s*(?:度|°|倍|像素|px|%|个像素|分之|成|厘米|寸|档|挡|ev|stop|k\b))"
)
_NUMERAL_PAIR = re.compile(rf"({_N}|\d+(?:\.\d+)?)\s*(比|乘以?|x|×|\*|:)\s*({_N}|\d+(?:\.\d+)?)")
_NUMERAL_AFTER_TO = re.compile(
    rf"(?<=[成为到至是宽高边])\s*({_N})(?=\s*(?:$|[,;.!?，；\s]|宽|高|的|左右|px|像素))"
)
_DECIMAL_WORDS = re.compile(  # 一点五倍 is 1.5 times (一点 alone stays "a bit")
    rf"([{_NUMERAL}]+)点([零〇一二三四五六七八九]+)(?=\s*(?:倍|度|°|%|像素|px|厘米|寸|档|挡))"
)
_PERCENT_WORDS = re.compile(rf"百分之\s*([{_NUMERAL}\d.]+)")
_FRACTION_WORDS = re.compile(rf"([{_NUMERAL}\d]+)\s*分之\s*([{_NUMERAL}\d]+)")
_NEGATIVE = re.compile(r"(?:负|minus\s+|negative\s+)(?=\s*\d)")

_EN_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "sixteen": 16,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "one hundred": 100,
    "one hundred and eighty": 180,
    "one hundred eighty": 180,
    "two hundred and seventy": 270,
    "two hundred seventy": 270,
}
# round hundreds as people dictate sizes: "three hundred", "twelve hundred", "fifteen hundred"
_UNITS_EN = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_EN_NUMBERS.update({f"{w} hundred": 100 * (i + 1) for i, w in enumerate(_UNITS_EN)})
_EN_NUMBERS.update(
    {
        f"{w} hundred": 100 * n
        for w, n in (("ten", 10), ("eleven", 11), ("twelve", 12), ("fifteen", 15), ("sixteen", 16))
    }
)
_EN_NUMBERS.update({f"{w} thousand": 1000 * (i + 1) for i, w in enumerate(_UNITS_EN[:3])})
_EN_NUMBER = "|".join(sorted((re.escape(w) for w in _EN_NUMBERS), key=len, reverse=True))
_EN_ORDINALS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fourth": 4,
    "fourths": 4,
    "fifth": 5,
    "fifths": 5,
    "tenth": 10,
    "tenths": 10,
}
_EN_FRACTION = re.compile(
    rf"\b(a|an|{_EN_NUMBER}|\d+)[\s-]+({'|'.join(_EN_ORDINALS)})\b(?!\s*(?:of\s+a\s+)?(?:second|minute))"
)
# "the right third", "the top quarter": that share of that side
_SIDE_SHARE = re.compile(rf"\b(left|right|top|bottom)(?:most)?\s+({'|'.join(_EN_ORDINALS)})\b")
# turns counted in quarters and halves: "a quarter turn", "转半圈"
_TURNS = (
    (re.compile(r"\b(?:a\s+)?(?:three[\s-]+quarters?|3/4)(?:\s+of\s+a)?[\s-]+turn\b"), "rotate 270 degrees"),
    (re.compile(r"\b(?:a\s+|one\s+)?quarter(?:\s+of\s+a)?[\s-]+turn\b"), "rotate 90 degrees"),
    (re.compile(r"\b(?:a\s+)?half(?:\s+a)?[\s-]+turn\b"), "rotate 180 degrees"),
    (re.compile(r"(?:转|旋转)\s*(?:四分之一|1/4)\s*圈"), "转90度"),
    (re.compile(r"(?:转|旋转)\s*半圈"), "转180度"),
)
# a number before the dimension it sets: "1200 pixels on the long side", "800 高" -> the side first
_NUMBER_THEN_SIDE_EN = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:px|pixels?)?\s+(?:on|for|along|across|of)\s+the\s+((?:long|short)(?:er|est)?\s+(?:side|edge))"
)
_NUMBER_THEN_SIDE_ZH = re.compile(
    r"(?<![宽高长短边\d.x×*:])(\d+(?:\.\d+)?)\s*(?:px|像素)?\s*的?\s*(宽|高|长边|短边)(?![度清级亮光])"
)
_OPPOSITE = {
    "left": "right",
    "right": "left",
    "top": "bottom",
    "bottom": "top",
    "左": "右",
    "右": "左",
    "上": "下",
    "下": "上",
}
_KEEP_SIDE = re.compile(
    r"(?:only\s+)?keep\s+(?:only\s+)?the\s+(left|right|top|bottom)\s+(half|third|quarter|1/2|1/3|1/4|2/3|3/4)(?:\s+of\s+the\s+(?:photo|picture|image))?|"
    r"(?:只)?保留(左|右|上|下)(?:边|面|侧|半边|半部分)?(?:的)?(一半|半边|半部分|1/2|1/3|2/3|1/4|3/4)?"
)
_SHARE = {
    "half": 0.5,
    "1/2": 0.5,
    "third": 1 / 3,
    "1/3": 1 / 3,
    "quarter": 0.25,
    "1/4": 0.25,
    "2/3": 2 / 3,
    "3/4": 0.75,
    "一半": 0.5,
    "半边": 0.5,
    "半部分": 0.5,
}


def _kept_side(m: re.Match[str]) -> str:
    """ "keep only the left half" -> "cut the right 50%"; "保留右半边" -> "裁掉左边50%"."""
    side, share = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    if side is None or (share is None and not m.group(0).endswith(("半边", "半部分"))):
        return m.group(0)
    cut = round(100 * (1 - _SHARE.get(share, 0.5)), 4)
    other = _OPPOSITE[side]
    return f"cut {cut:g}% off the {other}" if m.group(1) else f"裁掉{other}边{cut:g}%"


_EN_BEFORE_UNIT = re.compile(
    r"(?<!\bthis )(?<!\bthat )(?<!\bthe )(?<!\beach )(?<!\bwhich )"  # "crop this one to 4:5": a pronoun
    rf"\b({_EN_NUMBER})(?=[\s-]*(?:degrees?|deg\b|°|percent|%|pixels?|px\b|times\b|wide\b|tall\b|high\b|to\s+(?:{_EN_NUMBER}|\d)\b|by\s+(?:{_EN_NUMBER}|\d)\b|:))"
)
#: a number written in English words that normalisation left as words (no unit after it)
NUMBER_WORDS = re.compile(rf"\b(?:{_EN_NUMBER})\b|[{_NUMERAL}]{{2,}}")
_EN_AFTER_BY = re.compile(rf"(?<=\d)(\s*(?:by|x|to|:)\s*)({_EN_NUMBER})\b")
_QUOTES = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "《": '"',
        "》": '"',
        "〈": "'",
        "〉": "'",
        "。": ".",
        "、": ",",
        "～": "~",
        "—": "-",
        "–": "-",
        "−": "-",
    }
)
_SPACES = re.compile(r"\s+")
_PRODUCT_CODE = re.compile(  # bounded by letters and digits, not by Chinese ("客户编号A1024要求")
    r"(?<![a-z0-9_-])(?:(?!(?:rot|deg|cw|ccw|pad|crop|flip|size|px|dpi|ar)\b)[a-z]{2,5}-\d{2,}(?:-\d+)*|"
    r"(?!(?:rot|deg|px|dpi|res|size|crop|pad|flip)\d)[a-z]{2,5}\d{3,}|(?:sku|ean|upc|asin|款号|货号|编号)\s*[:#-]?\s*[a-z]{0,4}\d+(?:\s*-\s*\d+)?|"
    r"(?:批次|批量|批号|单号|订单号?|批)\s*[:#-]?\s*[a-z]{0,4}-?\d+[a-z\d]*)(?![a-z0-9_-])"
)
_TENTHS = re.compile(r"([一二两三四五六七八九])(?:([二三四五六七八九]))?\s*成(?![为功品立绩交本员型]|不变)")
_DISCOUNT = re.compile(r"打\s*(?:个)?\s*([一二三四五六七八九])([一二三四五六七八九])?\s*折")
_PERCENT_RANGE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*%?\s*(?:-|~|–|到|至|to)\s*(\d+(?:\.\d+)?)\s*%")


def _tenths(m: re.Match[str]) -> str:
    low = _DIGITS[m.group(1)]
    high = _DIGITS[m.group(2)] if m.group(2) else low
    return f"{(low + high) * 5:g}%"


def _discount(m: re.Match[str]) -> str:
    price = _DIGITS[m.group(1)] * 10 + (_DIGITS[m.group(2)] if m.group(2) else 0)
    return f"降低{100 - price}%"


def _midpoint(m: re.Match[str]) -> str:
    return f"{(float(m.group(1)) + float(m.group(2))) / 2:g}%"


_ONE_AND_A_HALF = re.compile(r"\b(one|two|three|four|five|\d+)\s+and\s+a\s+half\b", re.IGNORECASE)
_EN_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:percent|per\s+cent|pct)\b")  # "80 percent" is 80%
_REFERENCE = re.compile(
    r"(?:\b(?:ticket|order|case|issue|job|task|sku|item|img|image\s+id|po|batch)|工单|订单|单号|编号|批次|货号)"
    r"\s*(?:#|no\.?|number|id)?\s*[:：]?\s*(?:[a-z]{1,4}-?)?\d+(?:\s*-\s*[a-z]?\d+)*\b|"
    r"(?<![\w#])#\s*\d+(?:-\d+)*\b"
)
#: A number that counts or names something other than the picture's pixels, degrees or shares:
#: items and listings ("3号链接", "第3张", "8张", "link 9", "3000 pcs"), time ("in 2 mins", "放了十年"),
#: money ("39.9元"), times ("2am", "凌晨2点"), dates ("3月15号"), versions ("v2", "第2版"), priorities
#: ("P0") and letter-digit names ("b2b"; "1080p" is not one: it is a size). Not ages ("15岁", "a
#: 15-year-old"): the safety rules read those.
_COUNTED = re.compile(
    r"第\s*\d+(?:\.\d+)?\s*[张个款条号步页章节组幅项]?|"
    r"(?<![\d.])\d+(?:\.\d+)?\s*(?:号(?:链接|宝贝|商品|款)?|张(?:图|照片|图片)?(?!\s*\d)|件|款|套|组(?!合)|"
    r"分钟|小时|个?钟头|天|周|个?月|日|年(?!龄)|元|块钱?|位|人|家|版|期)|"
    r"(?<![a-z])(?:v|ver\.?|version)\s?\d+(?:\.\d+)*(?![\d.]*\s*(?:px|pixels?|%|x\d))|"
    r"(?<![a-z\d])p[0-4](?![\d.]|\s*(?:px|%))|"  # priorities: "P0: 1:1 主图", "P2 — sharpen"
    r"\b(?:link|listing|item|slot|page|step|lot|row|line)\s*(?:#|no\.?)?\s*\d+\b(?!\s*(?:px|pixels?|%|x|:|/|wide|tall|high))|"
    r"(?<![\d.])\d+\s*(?:mins?|minutes?|hours?|hrs?|days?|weeks?|months?|years?(?![\s-]*old)|pcs|pieces|units|"
    r"orders|buyers|customers|people|photos|pics|shots|images|listings|skus|items|dollars|bucks|usd|rmb|yuan)\b|"
    r"[$¥€£]\s*\d+(?:\.\d+)?|\b[a-z]\d[a-z]\b|"
    r"(?<![\d.:])\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)(?![a-z])|(?:凌晨|早上|上午|中午|下午|晚上|半夜)\s*\d{1,2}\s*点(?:钟|半)?"
)
#: Ways of saying a request that read like something else, said plainly: a negated negation is the
#: request ("不要不加边", "我没说不要黑白的", "don't not flip it", "I'm not saying don't change it"),
#: "all four sides" are all of them (not a number), "up side" is the top, "instead of cropping" is
#: "don't crop", and the picture as it is now is what a comparison starts from, not what to keep
#: ("twice as big as it is now", "比现在暖一点")
_SAID_PLAINLY = (
    (re.compile(r"不要不(?=[加做转调裁变改换])|我?没(?:有)?说(?:过)?不要"), "要"),
    (re.compile(r"\b(?:don'?t|do\s+not)\s+not\b|\bnot\s+saying\s+(?:don'?t|do\s+not|not\s+to)\b"), " "),
    (re.compile(r"\b(?:all\s+)?(?:4|four)\s+(?=sides|edges)"), "all "),
    (
        re.compile(
            r"\bflip(?:ped)?\s+(?:it\s+)?(?:around\s+|over\s+|by\s+)?(?=\d+\s*(?:°|degrees?|deg)?(?![\d.:x%]))"
        ),
        "rotate ",
    ),
    (re.compile(r"翻转?\s*(?=\d+\s*度)"), "旋转"),  # "flip it around 180": a flip turns no degrees
    (re.compile(r"\bdouble[\s-]+check(?:ed|ing|s)?\b"), "check"),  # an idiom, not a scale
    (re.compile(r"\bup\s+side\s+down\b"), "upside down"),  # "cut 50 pixel from up side and down side"
    (re.compile(r"\b(?:up|upper)\s+side\b"), "top side"),
    (re.compile(r"\b(?:down|lower)\s+side\b"), "bottom side"),
    (
        re.compile(r"\s*\binstead\s+of\s+(?=crop|cutting|stretch|squash|resiz|padd)"),
        ", don't ",
    ),  # "pad instead of cropping"
    (re.compile(r"[,，]?\s*而不是\s*(?=裁|剪|拉伸|缩放|补)"), "，不要"),
    (re.compile(r"\banything\s+but\s+"), "don't make it "),  # "anything but grey": not grey
    (  # "too much warm", "very too dark": a learner's "too warm"
        re.compile(
            r"\b(?:too\s+much|much\s+too|very\s+too|so\s+much)\s+(?=(?:warm|cold|cool|dark|bright|light|yellow|blue|red|"
            r"orange|saturated|vivid|dull|flat|gr[ae]y|soft|blurry|big|small|large)\b)"
        ),
        "too ",
    ),
    (
        re.compile(r"(?<=[拍印打样晒做])出来(?=\s*(?:太|很|有点|偏|好|特别))"),
        "出来, ",
    ),  # "打样出来太暗了": how it came out
    # "more vivid, not less": the other way, ruled out, says nothing new
    (
        re.compile(
            r"^\s*(?:and\s+|but\s+)?not\s+(?:less|more|the\s+other\s+way(?:\s+(?:round|around))?)\s*[.!]*\s*$"
        ),
        " ",
    ),
    (re.compile(r"(?:什么|怎么)都(?:行|可以)[,，]?\s*(?:就是|只要)?\s*(?:别|不要)"), "不要"),
    (
        re.compile(r"\s+(?:as|than)\s+(?:it\s+is|it'?s|they\s+are)(?:\s+(?:now|right\s+now|currently))?\b"),
        " ",
    ),
    (re.compile(r"比(?:现在|原来|原图|之前)(?=[^\s,.;，。]{1,3}(?:一点|一些|些|点))"), "更"),
)
#: the markers of a list or numbered steps at the start of a line ("1. 裁成4:5", "- crop", "• 转黑白"):
#: each item is a clause of its own, and its number is not a parameter
_LIST_ITEM = re.compile(r"(?:^|\n)[ \t]*(?:\(?\d{1,2}[.)、:：](?!\d)|[-*•·])[ \t]*")
_LABELLED_LINE = re.compile(r"\s*\n(?=[ \t]*[^\n:：;；,，.。]{1,16}[:：])")
_THOUSANDS = re.compile(r"(?<![\d,.])(\d{1,3}),(\d{3})\b(?!,\d)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202f\ufeff]")
#: Quoted text: the words of a text edit ('新品上市', "SALE", 「限时」, ‘x’, “y”, 『z』). A straight
#: single quote only opens after a non-letter, so "don't" and "mug's" are not quotes.
QUOTED = re.compile(r"\"([^\"]{1,200})\"|(?<![A-Za-z0-9])'([^']{1,200})'(?![A-Za-z])")


def chinese_number(text: str) -> int | None:
    """Value of a Chinese numeral such as 九十, 一百八十, 两千, 一千二 (1200); None if not one."""
    if not text or any(ch not in _DIGITS and ch not in _UNITS for ch in text):
        return None
    total, section, digit, last_unit, zero = 0, 0, None, 0, False
    for ch in text:
        if ch in _DIGITS:
            zero = zero or _DIGITS[ch] == 0
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
            digit, last_unit, zero = None, unit, False
    if digit is not None and last_unit >= 100 and not zero and digit < 10:
        digit *= last_unit // 10  # 一千二 is 1200, 三百五 is 350 (but 一百零五 is 105)
    return total + section + (digit or 0)


def _numeral(match: re.Match[str]) -> str:
    value = chinese_number(match.group(1))
    return match.group(0) if value is None else match.group(0).replace(match.group(1), str(value), 1)


def _pair(match: re.Match[str]) -> str:
    a, sep, b = match.groups()
    a_value = a if a[0].isdigit() else chinese_number(a)
    b_value = b if b[0].isdigit() else chinese_number(b)
    if a_value is None or b_value is None:
        return match.group(0)
    sep = ":" if sep == "比" else "x" if sep.startswith("乘") or sep in "×*" else sep
    return f"{a_value}{sep}{b_value}"


def _en_fraction(match: re.Match[str]) -> str:
    numerator = 1 if match.group(1) in ("a", "an") else _EN_NUMBERS.get(match.group(1))
    if numerator is None:
        numerator = int(match.group(1))
    return f"{numerator}/{_EN_ORDINALS[match.group(2)]}"


#: English numbers of more than one word, which text2num reads ("one hundred and fifty", "twelve
#: hundred", "twenty-four"); a word for a small number alone ("two", "a third") is read by the
#: patterns here, with what it counts. Counts and turns said in words come first: "a dozen",
#: "a couple of hundred", "one eighty".
_COMPOUND_NUMBER = re.compile(
    r"\b(?:hundred|thousand|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)\b",
    re.IGNORECASE,
)
_SPOKEN_AMOUNTS = (
    (re.compile(r"\ba\s+dozen\b", re.IGNORECASE), "12"),
    (re.compile(r"\ba\s+couple\s+(?:of\s+)?hundred\b", re.IGNORECASE), "200"),
    (re.compile(r"\bone\s*-?\s*eighty\b", re.IGNORECASE), "180"),
    (re.compile(r"\btwo\s*-?\s*seventy\b", re.IGNORECASE), "270"),
)


def english_numbers(text: str) -> str:
    """Numbers written in English words as digits: "cut one hundred and fifty pixels off the top"
    is "cut 150 pixels off the top" (text2num, a few microseconds), before a request is split into
    clauses: "two hundred and fifty" is one number."""
    for pattern, means in _SPOKEN_AMOUNTS:
        text = pattern.sub(means, text)
    if not _COMPOUND_NUMBER.search(text):
        return text
    return alpha2digit(text, "en", threshold=10)


def fold_width(text: str) -> str:
    """NFKC-fold full-width letters, digits and punctuation; drop control characters."""
    text = unicodedata.normalize("NFKC", text)
    text = _LIST_ITEM.sub("; ", text).lstrip("; ")
    text = _LABELLED_LINE.sub("; ", text)  # "操作：旋转\n角度：180", "P0: 1:1\nP1: 提亮": each line a clause
    text = _THOUSANDS.sub(r"\1\2", text)  # "1,200 px" is one number, not two clauses
    text = _ONE_AND_A_HALF.sub(lambda m: f"{_EN_NUMBERS.get(m.group(1).lower()) or m.group(1)}.5", text)
    text = print_sizes_in_pixels(english_numbers(_CONTROL.sub("", text).translate(_QUOTES)))
    return _SPACES.sub(" ", text).strip()


@cache
def _to_simplified() -> opencc.OpenCC:
    """OpenCC's traditional (Taiwan) -> simplified converter with mainland phrases (解析度 ->
    分辨率, 檔案 -> 文件); its dictionaries ship in the wheel, loaded once per process."""
    return opencc.OpenCC("tw2sp")


def simplified(text: str) -> str:
    """Traditional Chinese (繁體) as simplified: "請把圖片順時針旋轉" -> "请把图片顺时针旋转"."""
    if not re.search(r"[\u3400-\u9fff]", text):
        return text
    return _to_simplified().convert(text)


#: thousands of pixels after the dimension they are of ("宽度改成1.2k", "width: 2k", "long side to 1.5k")
_K_AFTER_DIMENSION = re.compile(
    r"((?:宽度?|高度?|长边|短边|width|height|long(?:est)?\s+(?:side|edge)|short(?:est)?\s+(?:side|edge)|\b[wh])"
    r"\s*(?:改成|改为|设为|调到|缩到|放大到|到|为|=|:|to|of|at)?\s*)(\d+(?:\.\d+)?)k(?![a-z\d])"
)
#: two numbers of one or two digits "by" each other, with no unit: a shape, never a size in pixels
_SMALL_BY = re.compile(
    r"(?<![\d.:x×*])(\d{1,2})\s*(?:by|x|×|\*)\s*(\d{1,2})(?![\d.:x×*])"
    r"(?!\s*(?:px|pixels?|像素|cm|mm|in\b|inch|inches|英寸|厘米|公分|毫米|feet|ft\b|m\b|米|grid|宫格))"
)
_ACCENTED = re.compile(r"[\u00c0-\u024f]")


def _unaccented(m: re.Match[str]) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", m.group()) if not unicodedata.combining(c))


@lru_cache(maxsize=64)  # one request normalises the same text for its refusal, reading and read-back
def normalise(text: str) -> str:
    """The form the parser reads: folded, simplified, miswritings fixed, lower-case, numerals as
    digits."""
    text = load_spelling().fix_miswritings(simplified(fold_width(text))).lower()
    text = _ACCENTED.sub(_unaccented, text)  # "Hermès", "café": the letters without their accents
    text = _PRODUCT_CODE.sub(" ", text)  # "EC-0412", "SKU 3301-3310": names, not numbers of the edit
    for pattern, means in _TURNS:
        text = pattern.sub(means, text)
    text = _DECIMAL_WORDS.sub(
        lambda m: f"{chinese_number(m.group(1))}.{''.join(str(_DIGITS[c]) for c in m.group(2))}", text
    )
    text = _EN_PERCENT.sub(r"\1%", text)
    text = _DISCOUNT.sub(_discount, text)  # "亮度打个八折": 20% less
    text = _TENTHS.sub(_tenths, text)  # "七成大小" is 70%, "两三成" 25%
    text = _PERCENT_RANGE.sub(_midpoint, text)  # "10-15%": 12.5%
    text = _PERCENT_WORDS.sub(lambda m: f"{chinese_number(m.group(1)) or m.group(1)}%", text)
    text = _FRACTION_WORDS.sub(
        lambda m: f"{chinese_number(m.group(2)) or m.group(2)}/{chinese_number(m.group(1)) or m.group(1)}",
        text,
    )
    text = _NUMERAL_PAIR.sub(_pair, text)
    text = _NUMERAL_BEFORE_UNIT.sub(_numeral, text)
    text = _NUMERAL_AFTER_TO.sub(_numeral, text)
    text = _SIDE_SHARE.sub(lambda m: f"{m.group(1)} 1/{_EN_ORDINALS[m.group(2)]}", text)
    text = _EN_FRACTION.sub(_en_fraction, text)
    text = _EN_BEFORE_UNIT.sub(lambda m: str(_EN_NUMBERS[m.group(1)]), text)
    text = _EN_AFTER_BY.sub(lambda m: m.group(1) + str(_EN_NUMBERS[m.group(2)]), text)
    text = re.sub(r"(?:by\s+)?a\s+factor\s+of\s+(\d+(?:\.\d+)?)", r"by \1x", text)  # "by a factor of 4"
    text = re.sub(
        r"(?<![:\d])\b(\d{1,2})\s+to\s+(\d{1,2})\b(?!\s*(?:px|pixels?|%|degrees?|[:/]))", r"\1:\2", text
    )  # "3 to 1": a ratio
    text = _SMALL_BY.sub(r"\1:\2", text)  # "sixteen by nine", "4x5": a ratio, not a picture of 16x9 px
    text = re.sub(r"\b(?:2|two)\s+(png|jpe?g|webp|tiff?|bmp)\b", r"to \1", text)  # "convert 2 webp"
    text = re.sub(r"(\d)\s*(k|m)o\b", r"\1\2b", text)  # "2 Mo", "500 Ko": French megaoctets and kilooctets
    text = re.sub(r"\[[^\]]{1,24}\]|@?\s*\d+\s*dpi\b", " ", text)  # "[IMG-0231]", "@ 72dpi": not parameters
    text = _REFERENCE.sub(" ", text)  # "SKU A-0931", "工单 #88-02", "#4471": which item, not a parameter
    text = _COUNTED.sub(" ", text)  # "3号链接", "in 2 mins", "第3张": things counted, not parameters
    text = re.sub(r"(\d+\s*:\s*\d+)\s+(?:wide|tall)\b", r"\1", text)  # "2:1 wide crop": the ratio says it
    text = re.sub(r"(\d\s*(?:px|pixels?)?)\s+high\b", r"\1 tall", text)  # "100 px high": a height
    text = re.sub(r"(\d)-(?=(?:px|pixels?|percent|degrees?)\b)", r"\1 ", text)  # "a 20-pixel border"
    text = re.sub(r"\b(\d+)(cw|ccw)\b", r"rotate \1 \2", text)  # "90cw"
    text = re.sub(  # "1k px", "1.2k wide": thousands of pixels
        r"\b(\d+(?:\.\d+)?)k(?=\s*(?:px|pixels?|wide|tall|high|long|像素)\b)",
        lambda m: f"{float(m.group(1)) * 1000:g}",
        text,
    )
    text = _K_AFTER_DIMENSION.sub(
        lambda m: m.group(1) + f"{float(m.group(2)) * 1000:g}", text
    )  # "宽度改成1.2k"
    text = re.sub(r"不超过|不大于|最多|以内", "到", text)  # "最长边不超过300像素"
    text = _KEEP_SIDE.sub(_kept_side, text)  # "keep only the left half": cut the other half
    for pattern, means in _SAID_PLAINLY:  # "不要不加边", "don't not flip it", "twice as big as it is now"
        text = pattern.sub(means, text)
    text = _NUMBER_THEN_SIDE_EN.sub(r"\2 \1", text)
    text = _NUMBER_THEN_SIDE_ZH.sub(r"\2 \1", text)
    text = _NEGATIVE.sub("-", text)
    # "放大一倍" means twice the size; other N倍 already read as N times
    text = re.sub(r"(放大|扩大|增大|大)\s*1\s*倍", r"\g<1>2倍", text)
    text = text.replace("一半", "50%").replace("减半", "50%")
    return text

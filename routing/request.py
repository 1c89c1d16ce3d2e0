"""Intent before slots: what kind of thing a clause is, before its parameters are read.

A clause is a request (possibly wrapped in politeness or phrased as a question: "能帮我…吗",
"could you …?"), a question about the picture or the world ("这张图好看吗？"), a complaint that
names an edit ("太暗了" -> brighter), or a constraint ("不要裁剪", "别动背景", "keep the logo").
Quoted text is masked first, so the words of a text edit are never read as operations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from routing.normalize import QUOTED, normalise
from routing.spelling import load_spelling
from routing.templates import Templates
from routing.vocabulary import Vocabulary

QUOTE_MARK = 0xE000  # quoted strings become single private-use characters while parsing
QUOTE_CHARS = re.compile("[\ue000-\uf8ff]")
ASPECT_KEEP = re.compile(
    r"保持(?:原)?(?:比例|宽高比|长宽比)|按比例|等比(?:例)?|自适应|(?:不要?|不许|不准|不能|不可以?)(?:拉伸|变形|压扁|拉长)|别(?:拉伸|变形)|不变形|"
    r"(?:跟着|随之|随着|相应地?|同比)(?:变化?|改|缩放?|走|调整?)|"  # "高度跟着变": the other side follows
    r"(?:keep|keeping|maintain|preserve|lock)\s+(?:the\s+)?(?:aspect(?:\s+ratio)?|proportions?|ratio)|"
    r"proportional(?:ly)?|follows?\s+(?:the\s+)?(?:proportions?|ratio)|(?:no|without|don'?t)\s+(?:stretch\w*|distort\w*|squash\w*)|auto\b"
)
_ATTRIBUTES = {  # a kept attribute of the whole picture, not an object
    "colour": re.compile(r"颜色|色彩|色调|colou?rs?|tones?|hues?"),
    "size": re.compile(r"尺寸|大小|分辨率|\bsize\b|resolution|dimensions?"),
    "aspect": re.compile(r"比例|宽高比|长宽比|aspect|proportions?|ratio"),
    "font": re.compile(r"字体|字形|font|typeface|lettering\s+style"),
    "composition": re.compile(r"构图|布局|排版|画面结构|composition|layout|framing"),
}
_NEGATIONS = (
    r"不要|不用|别|勿|无需|无须|毋须|毋需|不须|不需要|不必|唔好|唔使|唔需要|冇需要|"
    r"禁止|不许|不准|不得|严禁|must\s+not|mustn'?t|shall\s+not|won'?t[\s-]+have(?:\s*\([^)]*\))?\s*:?|"
    r"don'?t|do\s+not|no\s+need\s+to|never|not(?=\s+\w+ing\b)|"
    r"not(?=\s+(?:\w+er|more|less)\b)|不是(?=\s*(?:调|变|弄|改|转|往|更|要))"  # "not warmer", "不是调亮"
)
_NEGATED_START = re.compile(rf"\s*(?:{_NEGATIONS}|no(?=\s))\s*(?:变成?|弄成?|做|改成?)?")
_NEGATED = re.compile(rf"{_NEGATIONS}|without|no\b")
_DIGIT = re.compile(r"\d")
_NUMBER_OF_OP = re.compile(
    r"(?:\s*(?:it|this|the\s+\w+|by|to|图片?|成|到)?)\s*-?\d"
)  # "rotate it 90", "旋转90度"
_MUST_NOT_HAVE = re.compile(r"(?:不能|不得|不要|不可以|不准|不许|没有?|无)\s*(?:有|带|加)?\s*$")
_PIVOT = re.compile(r"\b(?:only|just|instead|but|rather)\b|只|仅|而是|但|就|\s-+\s")  # "don't crop - pad it"
_KEEP_NOISE = re.compile(
    r"\b(?:the|a|an|it|its|everything|anything|else|all|of|exactly|as|is|but|and)\b|[-—]|"
    r"的|了|原样|本身|其他|其它|其余|部分|但是?|都|要|保持|[,.!~]"
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Masked:
    """The instruction with its quoted strings replaced by marks, and the strings."""

    text: str
    quotes: tuple[str, ...]

    def restore(self, text: str) -> str:
        return QUOTE_CHARS.sub(lambda m: self.quotes[ord(m.group()) - QUOTE_MARK], text)

    def inner(self, text: str) -> list[str]:
        """The quoted words (without their quote marks) that `text` refers to, in order."""
        return [self.quotes[ord(ch) - QUOTE_MARK][1:-1] for ch in QUOTE_CHARS.findall(text)]


# what says quoted words are words to write, replace or remove on the picture ("replace '新品上市'
# with 'New Arrival'", "把'SAMPLE'去掉", "print 'HUAXIN' on the cup"): without it a quote is a
# citation ("Etsy says \"we recommend 4:3\"", "the 'Monochrome' album"), read as words
_WRITES = re.compile(
    r"写|印|加|添|换|改|替|去|删|抹|擦|p掉|标|译|字|文案|"
    r"\b(?:write|print|add|put|replace|change|swap|remove|delete|erase|say|read|translate|spell|type|insert|"
    r"caption|label|text|word|wording|title|slogan|tagline|lettering|logo|sign|sticker|banner|tag)s?\b"
)


# who said the quoted words: the customer says "…too dark…" reports, it asks nothing to be written
_REPORTED = re.compile(
    r"\b(?:customers?|buyers?|clients?|shoppers?|users?|boss|manager|he|she|they|someone|legal|marketing|"
    r"reviewers?|the\s+team)\s+(?:says?|said|wrote|writes|complain(?:s|ed)?|told\s+(?:us|me))\b|"
    r"(?:客人|买家|顾客|客户|用户|老板|运营|客服|买家评论)\s*(?:说|反馈说?|讲|投诉说?|留言说?)"
)


def mask_quotes(display: str) -> Masked:
    """Replace each quoted string by one private-use character (those typed by the user, which
    mean nothing, are dropped first). A request that says nothing of writing on the picture
    cites what it quotes: its quotes are read as words."""
    display = QUOTE_CHARS.sub("", display)
    if QUOTED.search(display) and not _WRITES.search(_REPORTED.sub(" ", normalise(QUOTED.sub(" ", display)))):
        return Masked(QUOTED.sub(lambda m: m.group(1) or m.group(2), display), ())
    quotes: list[str] = []

    def mark(m: re.Match[str]) -> str:
        if len(quotes) >= 0x100:
            return m.group(0)
        quotes.append(m.group(0))
        return chr(QUOTE_MARK + len(quotes) - 1)

    return Masked(QUOTED.sub(mark, display), tuple(quotes))


@dataclass(frozen=True)
class Clause:
    """One clause: `text` is what the parser reads, `shown` the user's words (for the model)."""

    text: str
    shown: str
    kind: str  # request | question | constraint | context
    constraint: str | None = None  # no-crop | no-resize | keep-aspect | keep: WORDS (a request may keep too)
    corrections: tuple[tuple[str, str], ...] = ()  # typos read as edit words: (written, read)
    evidence: bool = False  # it said how the picture is ("upside down"): its edit puts that right
    forbids: str = ""  # the words of a "no-OP" constraint after the negation ("flip it horizontally")


def read_clause(
    shown: str, ends_with_question_mark: bool, t: Templates, v: Vocabulary, framed: bool = False
) -> Clause:
    """Classify one clause and give the text the parser should read; `framed`: the whole request
    opened as a polite request ("可以…吗？", "could you …?"), so no clause of it is a question."""
    whole = text = normalise(shown)
    text, corrections = load_spelling().correct(text)
    polite = framed
    opened = t.openers.match(text)
    if opened and opened.end():
        text, polite = text[opened.end() :], True
    closed = t.closers.search(text)
    asked = ends_with_question_mark or bool(closed and re.search(r"[?吗么嘛]", closed.group()))
    if closed:  # a clause of nothing but its close ("add for me please", "thanks!") is glue
        text = text[: closed.start()]
    if asked and not polite and not t.modal.search(whole) and t.question.search(whole):
        return Clause(text, shown, "question", corrections=corrections)
    evidence = False
    for pattern, means in t.states:  # "the photo is upside down": evidence, not a second command
        text, found = pattern.subn(f" {means} ", text)
        evidence = evidence or bool(found)
    text = t.fixes.sub(" ", text)  # "please fix it": the state says what to do
    for pattern, means in t.complaints:
        text = pattern.sub(f" {means} ", text)
    forbidden, text = _split_at_pivot(text, t)  # "don't crop, just make it square"
    if _only_context(text, t):  # "for the attached image", "so it sits next to the others"
        return Clause(text, shown, "context", corrections=corrections)
    constraint = _constraint(text, t, v)
    if constraint:
        return Clause(text, shown, "constraint", constraint, corrections, forbids=_forbids(text, constraint))
    kept = _constraint(forbidden, t, v) if forbidden else None  # the request still keeps it
    return Clause(
        text.strip(),
        shown,
        "request",
        kept,
        corrections=corrections,
        evidence=evidence,
        forbids=_forbids(forbidden, kept),
    )


def _forbids(text: str, constraint: str | None) -> str:
    """What a clause that forbids an op says of it after the negation ("don't flip it
    horizontally" -> "flip it horizontally"): the way not to do it, when it says one."""
    if not constraint or not constraint.startswith("no-"):
        return ""
    negated = _NEGATED_START.match(text)
    return text[negated.end() :].strip() if negated else ""


def _split_at_pivot(text: str, t: Templates) -> tuple[str, str]:
    """A clause that forbids, then turns to what to do ("don't crop anything, just add white space",
    "别的不要动，只是调亮"): (what it forbids, what follows the turn); any other clause is ("", it)."""
    negated = _NEGATED_START.match(text)
    pivot = _PIVOT.search(text, negated.end()) if negated else None
    if pivot and t.names_an_op(text, pivot.end()):
        return text[: pivot.start()].strip(), text[pivot.end() :].strip()
    return "", text


def _only_context(text: str, t: Templates) -> bool:
    """Whether a clause only says what the request is for, about or why: it opens like it and
    names no edit, no number and nothing for the model to change."""
    return bool(
        t.context_clauses.match(text)
        and not _DIGIT.search(text)
        and not t.model_nouns.search(text)
        and not t.names_an_op(text)
    )


def _constraint(text: str, t: Templates, v: Vocabulary) -> str | None:
    """What a clause forbids, when forbidding is all it does."""
    if v.no_crop.search(text):
        return "no-crop"
    if v.no_resize.search(text):
        return "no-resize"
    negated = _NEGATED_START.match(text)
    named = sorted(  # the op negated is the first said after the negation ("不要补边，提亮一点": the border)
        ((op.name, m) for op in t.ops for m in op.triggers.finditer(text, negated.end())) if negated else (),
        key=lambda found: found[1].start(),
    )
    if named and (
        not _DIGIT.search(text) or len(named) == 1 and _NUMBER_OF_OP.match(text, named[0][1].end())
    ):
        # "别变黑白", "don't rotate it", "don't rotate it 90": that op must not be done (not "no
        # stretching please: make it 200 px tall", which asks for a resize)
        return f"no-{named[0][0]}"
    if _DIGIT.search(text):
        return None  # "等比例缩放到宽800" asks for a resize
    for op in t.ops:  # "主图不能有边框", "没有水印": a rule or a state, not an edit to make
        m = op.triggers.search(text)
        if m and _MUST_NOT_HAVE.search(text[: m.start()]):
            return f"no-{op.name}"
    if ASPECT_KEEP.search(text):
        return "keep-aspect"
    if not (v.keep_verbs.search(text) or v.keep_tail.search(text)):
        return None  # a bare "不要背景" asks for a removal, not to keep something
    rest = _NEGATED.sub(" ", v.keep_tail.sub(" ", v.keep_verbs.sub(" ", text)))
    for name, pattern in _ATTRIBUTES.items():
        if pattern.search(rest):
            return f"keep-{name}"
    words = _KEEP_NOISE.sub(" ", rest)
    return f"keep: {_SPACE.sub(' ', words).strip() or 'everything else'}"

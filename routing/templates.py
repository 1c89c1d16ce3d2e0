"""Load the phrasing library (templates.toml) into compiled regular expressions."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from config.ops import ROUTABLE_OPS
from routing.patterns import words_pattern
from routing.vocabulary import colour_names

DEFAULT_PATH = Path(__file__).with_name("templates.toml")


@dataclass(frozen=True)
class OpTemplate:
    name: str
    triggers: re.Pattern[str]
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Templates:
    separators: re.Pattern[str]
    filler: re.Pattern[str]
    context: re.Pattern[str]
    slots: dict[str, re.Pattern[str]]
    ops: tuple[OpTemplate, ...]
    model_words: re.Pattern[str]
    model_nouns: re.Pattern[str]
    model_verbs: re.Pattern[str]
    local_words: re.Pattern[str]
    non_edit: re.Pattern[str]
    not_this_picture: re.Pattern[str]  # writing copy, a picture unrelated to this one
    not_in_a_picture: re.Pattern[str]  # taste, smell, sound, touch, 3D, a side the photo lacks
    openers: re.Pattern[str]
    modal: re.Pattern[str]
    closers: re.Pattern[str]
    question: re.Pattern[str]
    context_clauses: re.Pattern[str]  # "for the attached image", "so it matches", "由于…": why, not what
    complaints: tuple[tuple[re.Pattern[str], str], ...]
    states: tuple[tuple[re.Pattern[str], str], ...]  # how the picture is -> the edit that puts it right
    fixes: re.Pattern[str]  # "please fix it": what to do is in the state
    self_corrections: re.Pattern[str]  # "no wait", "算了": the request corrects itself
    greetings: re.Pattern[str]  # how a letter opens ("Dear team,", "您好：")
    closings: re.Pattern[str]  # how it ends before the signature ("Best regards,", "此致")
    asks: re.Pattern[str]  # what marks a sentence that asks for something ("could you", "请")

    def names_an_op(self, text: str, pos: int = 0, besides: tuple[str, ...] = ()) -> bool:
        """Whether `text` (from `pos`) holds the trigger of an OpenCV op (other than those named
        in `besides`)."""
        return any(op.triggers.search(text, pos) for op in self.ops if op.name not in besides)


def _slot_pattern(fragment: str) -> re.Pattern[str]:
    # slots are matched like words: Latin ones must not start or end inside a word
    # (a CJK parameter may follow a Latin word directly: "saturation降低一点")
    return re.compile(rf"(?:(?<![a-z])|(?![a-z]))(?:{fragment})(?:(?![a-z])|(?<![a-z]))")


@cache
def load_templates(path: Path = DEFAULT_PATH) -> Templates:
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    text, model, reject, request = data["text"], data["model"], data["reject"], data["request"]
    letter = data["letter"]
    names = "|".join(sorted(colour_names(), key=len, reverse=True))
    slots = {
        name: _slot_pattern(fragment.replace("{colours}", names)) for name, fragment in data["slots"].items()
    }
    ops = []
    phrased, specified = set(data["ops"]), set(ROUTABLE_OPS)
    if phrased != specified:  # an op is one spec of config/ops.py, phrased here
        raise ValueError(
            f"{path}: [ops.*] must be exactly the ops of config/ops.py; missing "
            f"{sorted(specified - phrased)}, unknown {sorted(phrased - specified)}"
        )
    for name, spec in data["ops"].items():
        unknown = set(spec["slots"]) - slots.keys()
        if unknown:
            raise ValueError(f"{path}: op {name!r} uses unknown slots {sorted(unknown)}")
        ops.append(OpTemplate(name, words_pattern(spec["triggers"]), tuple(spec["slots"])))
    return Templates(
        separators=re.compile("|".join(f"(?:{s})" for s in text["separators"])),
        filler=words_pattern(text["filler"]),
        context=words_pattern(text["context"]),
        slots=slots,
        ops=tuple(ops),
        model_words=words_pattern(model["verbs"] + model["nouns"]),
        model_nouns=words_pattern(model["nouns"]),
        model_verbs=words_pattern(model["verbs"]),
        local_words=words_pattern(model["local"]),
        non_edit=words_pattern(reject["non_edit"]),
        not_this_picture=words_pattern(reject["not_this_picture"]),
        not_in_a_picture=words_pattern(reject["not_in_a_picture"]),
        openers=re.compile(rf"^(?:{'|'.join(request['openers'])})+"),
        modal=words_pattern(request["modal"]),
        closers=re.compile(rf"(?:\s*(?:{'|'.join(request['closers'])})[\s,.!~]*)+$"),
        question=words_pattern(request["question"]),
        context_clauses=re.compile(rf"^\s*(?:{words_pattern(request['context_clauses']).pattern})"),
        # "调成偏蓝" asks for blue, "画面偏蓝" complains of it; "颜色淡一点" (a degree after it) asks for it
        complaints=tuple(
            (
                re.compile(
                    rf"(?<![调变改弄做成要来想得更再])(?<!more\s)(?<!less\s)(?:(?:别|不要|不能|不用|don'?t\s+be|not)\s*)?"
                    rf"(?:{said})(?![a-z])(?!\s*(?:一点|一些|些|点儿?|a\s+(?:bit|little)\b))"
                ),
                means,
            )
            for said, means in request["complaints"]
        ),
        states=tuple((re.compile(said), means) for said, means in request["states"]),
        fixes=words_pattern(request["fixes"]),
        self_corrections=re.compile("|".join(request["self_corrections"])),
        greetings=re.compile(rf"^(?:{'|'.join(letter['greetings'])})"),
        closings=re.compile(rf"^(?:{'|'.join(letter['closings'])})"),
        asks=words_pattern(letter["asks"]),
    )

"""Properties of the router: no OpenCV plan silently drops a number or a side the instruction
states, and every refusal says why. The expected values come from the generated sentence."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from routing import route

SIDES = {
    "left": ["left", "左边", "左侧"],
    "right": ["right", "右边", "右侧"],
    "top": ["top", "上边", "顶部"],
    "bottom": ["bottom", "下边", "底部"],
}
CROP_FORMS = [
    "crop {n}px from the {side}",
    "cut {n} pixels off the {side}",
    "裁掉{side}{n}像素",
    "把{side}多余的{n}像素去掉",
    "trim {n}px from the {side} only",
    "{side}裁掉{n}像素",
]
RESIZE_FORMS = [
    ("resize the width to {n}px", "width"),
    ("宽度缩放到{n}像素", "width"),
    ("longest edge to {n}px", "longest"),
    ("最长边改成{n}", "longest"),
    ("height {n}px, proportional", "height"),
    ("短边改为{n}像素", "shortest"),
]
NOISE = st.sampled_from(["", "please ", "麻烦", "could you ", "帮我"])
ANY_TEXT = st.text(
    alphabet=st.sampled_from(
        list("裁剪旋转度像素亮暗左右上下边成比乘 0123456789:x%,.?吗cropresizeleftdegpx ")
    ),
    max_size=30,
)


def _numbers(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]


def _values(obj) -> list[float]:
    if isinstance(obj, dict):
        return [v for value in obj.values() for v in _values(value)]
    if isinstance(obj, list | tuple):
        return [v for value in obj for v in _values(value)]
    return [float(obj)] if isinstance(obj, int | float) and not isinstance(obj, bool) else []


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    form=st.sampled_from(CROP_FORMS),
    side=st.sampled_from(sorted(SIDES)),
    word=st.integers(0, 2),
    n=st.integers(1, 199),
    polite=NOISE,
)
def test_a_margin_crop_cuts_the_stated_side_by_the_stated_amount(form, side, word, n, polite):
    words = SIDES[side]
    zh = bool(re.search(r"[\u4e00-\u9fff]", form))
    side_word = words[1 + word % 2] if zh else words[0]
    plan = route(polite + form.format(n=n, side=side_word), image_size=(600, 400))
    assert plan.route == "opencv", plan
    assert [op.to_dict() for op in plan.ops] == [{"op": "crop", "margins": {side: float(n)}, "unit": "px"}]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(form=st.sampled_from(RESIZE_FORMS), n=st.integers(16, 2000), polite=NOISE)
def test_a_resize_keeps_the_stated_number_and_dimension(form, n, polite):
    text, dimension = form
    plan = route(polite + text.format(n=n))
    assert plan.route == "opencv", plan
    assert [op.to_dict() for op in plan.ops] == [{"op": "resize", dimension: n}]


@settings(max_examples=400, deadline=None, derandomize=True)  # the same examples in CI
@given(text=ANY_TEXT)
def test_no_opencv_plan_ignores_a_number_and_every_refusal_has_a_reason(text):
    plan = route(text)
    if plan.route == "reject":
        assert plan.reason.strip()
        return
    if plan.route != "opencv":
        return
    values = _values([op.params for op in plan.ops])
    for number in _numbers(text):
        # a stated number shows up in the plan as itself, a share of 100, its negative, or an
        # angle brought into -180..180
        forms = (
            number,
            number / 100,
            -number,
            -number / 100,
            1 + number / 100,
            1 - number / 100,
            number / 100 - 1,
            (number + 180) % 360 - 180,
        )
        assert number == 0 or any(abs(v - c) < 1e-6 for v in values for c in forms), (text, plan)


def test_no_dev_set_sentence_is_in_the_router_data():
    dev = Path(__file__).resolve().parents[2] / "shared" / "eval" / "instructions.dev.jsonl"
    if not dev.exists():
        import pytest

        pytest.skip("the shared dev set is not beside this checkout")
    data = "".join(
        p.read_text(encoding="utf-8")
        for p in (Path(__file__).resolve().parents[1] / "routing").glob("*.toml")
    ).lower()
    for line in dev.read_text(encoding="utf-8").splitlines():
        sentence = json.loads(line)["instruction"].strip().lower()
        if len(sentence) > 4:
            assert sentence not in data, sentence

"""The op registry (config/ops.py): every op is one spec, and the places it lives hold to it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from config.contracts import MODEL_OP, OPENCV_OPS, Op, Plan
from config.ops import OPS, ROUTABLE_OPS, ModelParams, OpError
from routing import route
from routing.builders import BUILDERS
from routing.templates import DEFAULT_PATH, load_templates
from tasks.edit.opencv_ops import APPLY, apply_op
from tests.helpers import ROOT

CASE_FILES = sorted((ROOT / "tests" / "data").glob("router_*.jsonl"))


def test_every_op_is_read_and_done_where_its_spec_says():
    assert OPENCV_OPS == ROUTABLE_OPS  # the plan contract's names are the registry's
    assert set(BUILDERS) == set(ROUTABLE_OPS)  # how a request says it
    assert {op.name for op in load_templates().ops} == set(ROUTABLE_OPS)  # its phrasing
    assert set(APPLY) == set(OPS)  # how OpenCV does it, presets' conform included


def test_phrasing_for_an_op_with_no_spec_is_refused(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "templates.toml"
    bad.write_text(text + "\n[ops.posterize]\ntriggers = ['posterize']\nslots = []\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown \['posterize'\]"):
        load_templates(bad)


def test_every_plan_the_router_makes_meets_its_ops_specs():
    """Builders and specs cannot drift apart: each OpenCV op of each plan over every case file
    (and the conditions and presets among them) validates against its parameters' model."""
    checked = 0
    for path in CASE_FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            for size in (None, (1200, 800)):
                for op in route(case["instruction"], image_size=size).ops:
                    assert isinstance(op.args, OPS[op.name].params if op.name != MODEL_OP else ModelParams)
                    checked += 1
    assert checked > 2000


def test_a_plan_never_holds_a_malformed_op_and_ops_read_as_their_models():
    """A Plan checks its ops when it is made (a cached plan, a session's round); an op's JSON is
    {"op": name, **params} both ways, and `args` is its params as its spec's model."""
    with pytest.raises(ValueError, match="crop: aspec: Extra inputs are not permitted"):
        Plan("opencv", (Op("crop", {"aspec": [1, 1]}),), 0.9, "a typo'd parameter")
    with pytest.raises(ValueError, match="unknown op 'posterize'"):
        Plan.from_dict({"route": "opencv", "ops": [{"op": "posterize"}], "confidence": 1, "reason": ""})
    with pytest.raises(ValueError, match="model: prompt"):
        Plan("model", (Op(MODEL_OP, {}),), 0.9, "no words for the model")
    resize = Op.from_dict({"op": "resize", "width": 800})
    assert resize.to_dict() == {"op": "resize", "width": 800}
    assert resize.args.width == 800 and resize.args.height is None
    assert Op.from_dict({"op": "trim"}).args.tolerance == 12  # the spec's default


@pytest.mark.parametrize(
    ("op", "says"),
    [
        (Op("rotate", {}), "rotate: degrees: Field required"),
        (Op("crop", {"aspect": [1]}), "crop: aspect"),
        (Op("crop", {"anchor": "center"}), "a crop needs an aspect or margins"),
        (Op("flip", {"axis": "diagonal"}), "flip: axis: Input should be 'horizontal' or 'vertical'"),
        (Op("blur", {"sigma": 0}), "blur: sigma: Input should be greater than 0"),
        (Op("resize", {"widht": 800}), "resize: widht: Extra inputs are not permitted"),
        (Op("posterize", {}), "unknown op 'posterize'"),
    ],
)
def test_a_malformed_op_names_what_is_wrong_before_any_pixel_is_touched(op, says):
    picture = np.zeros((40, 60, 3), np.uint8)
    with pytest.raises(OpError) as raised:
        apply_op(picture, op)
    assert says in str(raised.value) and "\n" not in str(raised.value)

"""The learned reader (routing/reader.py): what it computes, and where the router asks it."""

from __future__ import annotations

import json
import math
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from routing import route
from routing.reader import CLASSES, DEFAULT_PATH, Reader, char_ngrams, load_reader, reader_text


def test_plain_python_inference_equals_the_fitted_scikit_learn_model():
    """The shipped inference must give the probabilities scikit-learn's model gives."""
    pytest.importorskip("sklearn")
    from benchmarks.router_reader import (
        SETS,
        fit,
        load_sets,
        make_classifier,
        make_vectoriser,
        training_pairs,
    )

    rows = [r for name in SETS[:4] for r in load_sets()[name]]
    reader = fit(rows, "test")
    texts, classes = training_pairs(rows)
    vectoriser = make_vectoriser()
    model = make_classifier().fit(vectoriser.fit_transform(texts), classes)
    probe = [
        "裁成1:1",
        "remove the spoon, 谢谢",
        "把模特的脸换成明星",
        "这张图好看吗？",
        "w=800 h=auto",
        "Ünï x",
    ]
    expected = model.predict_proba(vectoriser.transform([reader_text(t) for t in probe]))
    for text, row in zip(probe, expected, strict=True):
        got = reader.probabilities(text)
        for k, name in enumerate(model.classes_):
            assert got[name] == pytest.approx(row[k], abs=1e-9), (text, name)


def test_character_ngrams_are_those_of_scikit_learns_char_wb_analyzer():
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyse = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4)).build_analyzer()
    for text in ["crop  to 1:1", "a b", "裁成正方形 ok", "ab abc abcd"]:
        assert char_ngrams(text, 1, 4) == analyse(text)


def test_the_shipped_reader_is_the_one_its_data_fit():
    """routing/reader_model.json is what `benchmarks/router_reader.py fit` makes of the case files
    it names: a case file changed without a refit fails here."""
    pytest.importorskip("sklearn")
    from benchmarks.router_reader import fit, load_sets

    shipped = load_reader()
    assert shipped is not None
    sets = load_sets()
    if shipped.fitted_on != ", ".join(sets):
        pytest.skip(f"fitted on {shipped.fitted_on}; this checkout has {', '.join(sets)}")
    rows = [r for rows in sets.values() for r in rows]
    refit = Reader.from_dict(json.loads(json.dumps(fit(rows, "").to_dict())))
    assert refit.features.keys() == shipped.features.keys()
    for text in ["裁成1:1", "make it look nicer somehow idk", "the saucer should be navy"]:
        a, b = refit.probabilities(text), shipped.probabilities(text)
        assert all(a[c] == pytest.approx(b[c], abs=1e-3) for c in CLASSES)


def test_the_held_out_set_is_never_fitted_on():
    held_out = {"router_fresh10", "router_fresh11"}
    assert not held_out & set(load_reader().fitted_on.split(", "))


def test_a_missing_model_file_leaves_the_rules_alone(tmp_path):
    assert load_reader(tmp_path / "none.json") is None
    with pytest.raises(ValueError, match="refit"):
        Reader.from_dict({"classes": ["a"], "intercept": [0], "features": {}, "ngram_range": [1, 4]})


@pytest.mark.parametrize(
    "instruction", ["make it look nicer somehow idk", "do something with the background"]
)
def test_a_model_plan_the_reader_judges_no_edit_is_refused(instruction):
    assert route(instruction, (600, 400), reader=False).route == "model"  # the rules' fallback
    plan = route(instruction, (600, 400))
    assert plan.route == "reject" and "learned reader" in plan.reason and plan.choices


def test_an_opencv_plan_unsure_only_for_context_is_run_when_the_reader_agrees():
    text = "lol it's way too dark, brighten pls"
    assert route(text, (600, 400), reader=False).route == "reject"
    plan = route(text, (600, 400))
    assert plan.route == "opencv" and [op.name for op in plan.ops] == ["brightness"]
    assert "learned reader" in plan.reason


def test_an_unread_number_is_never_rescued():
    # below the rescue floor: the reader may not make the plan drop a number
    plan = route("crop to 1:1 then 37 more", (600, 400))
    assert plan.route == "reject"


@pytest.mark.parametrize("instruction", ["yeet the spoon outta there", "the saucer ought to be navy"])
def test_a_request_with_no_edit_found_that_the_reader_reads_as_a_model_edit_goes_to_the_model(instruction):
    assert route(instruction, (600, 400), reader=False).route == "reject"
    plan = route(instruction, (600, 400))
    assert plan.route == "model" and plan.intent is not None


@pytest.mark.parametrize(
    "instruction",
    [
        "replace the mug with a teapot",
        "把杯子换成蓝色",
        "remove the spoon",
        "swap the saucer for a wooden coaster",
    ],
)
def test_ordinary_model_edits_stay_model_edits(instruction):
    assert route(instruction, (600, 400)).route == "model"


def test_reader_model_file_is_in_the_package():
    # an installed (non-editable) package must carry the weights, or the router silently loses them
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["package-data"]["routing"]
    assert any(fnmatch(DEFAULT_PATH.name, pattern) for pattern in patterns)


def _reader_saying(cls: str, p: float) -> Reader:
    """A reader with no n-grams whose answer is always `cls` with probability `p`."""
    rest = (1 - p) / (len(CLASSES) - 1)
    return Reader(CLASSES, tuple(math.log(p if c == cls else rest) for c in CLASSES), {})


def test_a_target_stated_among_other_words_runs_only_when_the_reader_reads_opencv():
    text = "the marketplace keeps bouncing it, the width has to be 1000 px"
    assert route(text, (600, 400), reader=False).route == "reject"
    assert route(text, (600, 400), reader=_reader_saying("not_edit", 0.9)).route == "reject"
    plan = route(text, (600, 400), reader=_reader_saying("opencv", 0.9))
    assert plan.route == "opencv" and [op.to_dict() for op in plan.ops] == [{"op": "resize", "width": 1000}]


def test_a_target_beside_a_command_is_the_commands_parameter():
    plan = route(
        "老板说要发小红书，小红书是3:4竖图，按这个比例裁一下",
        (600, 400),
        reader=_reader_saying("opencv", 0.9),
    )
    assert [op.to_dict() for op in plan.ops] == [{"op": "crop", "aspect": [3.0, 4.0], "anchor": "center"}]


@pytest.mark.parametrize("instruction", ["add a hat", "remove the hat", "make it blue"])
def test_a_short_clear_request_is_not_refused_on_the_readers_word(instruction):
    # a few words give the reader too little to go on: its priors are not a reason to refuse
    assert route(instruction, (600, 400)).route == "model"

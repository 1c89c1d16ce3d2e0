"""Checks of what was asked: background colour and product, recolour, text (OCR), removal, keep,
tiles; a measure the request needs that cannot be taken sends the item to a person."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks.check_pairs import BAD, GOOD, bases
from routing import route
from tasks.check import ocr
from tasks.check.colour import ciede2000
from tasks.check.gate import check_pair


def pair(family, seed: int = 1, base: int = 0):
    """One pair of a family of benchmarks/check_pairs.py on one of its base pictures."""
    rng = np.random.default_rng(seed)
    _, img, product = list(bases(rng, quick=True))[base]
    return family(rng, img, product)


def failed(before, after, instruction):
    report = check_pair(before, after, instruction, route(instruction))
    return report.verdict, {f.check: f.message for f in report.failed}


def by_name(name):
    return next(f for f in GOOD + BAD if f.__name__ == name)


def test_ciede2000_matches_the_published_test_data():  # Sharma, Wu, Dalal (2005), pairs 1, 7, 17
    pairs = [
        ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
        ((50, 0, 0), (50, -1, 2), 2.3669),
        ((50, 2.5, 0), (73, 25, -18), 27.1492),
    ]
    for a, b, expected in pairs:
        assert float(ciede2000(np.array(a), np.array(b))) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    "family, check, words",
    [
        ("bg_grey", "background-colour", "pure white"),
        ("bg_offwhite", "background-colour", "pure white"),
        ("bg_product_lost", "product", "product"),
        ("recolour_wrong", "recolour", "asked"),
        ("text_wrong", "text-new", "asked"),
        ("text_old_left", "text-old", "still reads"),
        ("text_other_changed", "text-other", "other text changed"),
        ("remove_mark_not_done", "text-removed", "still legible"),
        ("remove_object_not_done", "removed", "left as it was"),
        ("keep_background_broken", "keep", "background changed"),
    ],
)
def test_a_bad_edit_is_caught_by_the_check_of_what_was_asked(family, check, words):
    verdict, why = failed(*pair(by_name(family)))
    assert verdict == "review" and check in why, why
    assert words in why[check]


@pytest.mark.parametrize("family", GOOD, ids=lambda f: f.__name__)
def test_a_good_edit_of_each_kind_is_published(family):
    verdict, why = failed(*pair(family, base=1))
    assert verdict == "publish", why


def test_findings_speak_plainly():
    _, why = failed(*pair(by_name("bg_grey")))
    assert why["background-colour"].startswith("0% of the background is pure white (every channel >= 250)")
    _, why = failed(*pair(by_name("text_wrong"), seed=3))
    assert why["text-new"].startswith("text reads '")


def test_ocr_unavailable_sends_a_text_edit_to_review(monkeypatch):
    def missing():
        raise ocr.OcrUnavailable("rapidocr-onnxruntime is not installed")

    monkeypatch.setattr(ocr, "_engine", missing)
    verdict, why = failed(*pair(by_name("text_replace")))
    assert verdict == "review" and why["text"].startswith("cannot measure: OCR unavailable")


def test_noise_for_a_background_edit_is_never_published():
    rng = np.random.default_rng(4)
    for _, img, _ in list(bases(rng, quick=True))[:4]:
        noise = rng.integers(0, 256, img.shape, dtype=np.uint8)
        noise = cv2.GaussianBlur(noise, (0, 0), 3)
        assert failed(img, noise, "把背景换成纯白色")[0] == "review"


def test_a_kept_thing_the_checks_cannot_locate_is_judged_by_the_rest_of_the_picture():
    """ "保留吊牌" (keep the tag): no measure finds a tag by name; it is kept when nothing outside
    the edit changed (the measures of the rest), and a kept region that changed is caught."""
    before, after, instruction = pair(by_name("recolour_named"))
    assert failed(before, after, f"{instruction}，保留吊牌")[0] == "publish"
    verdict, why = failed(*pair(by_name("keep_background_broken")))
    assert verdict == "review" and "keep" in why


def test_a_seamed_edit_goes_to_review():
    verdict, why = failed(*pair(by_name("seams")))
    assert verdict == "review" and "tiles" in why

"""Multi-round sessions: each round edits what the rounds before made, OpenCV rounds are made
from the original in one go (no generational loss), the model sees the latest picture, and the
last round can be undone; from the command line and the HTTP API."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from tests.helpers import IMAGES


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def test_rounds_build_on_each_other_from_the_original_and_undo(run_cli, tmp_path):
    source = tmp_path / "sku.png"
    cv2.imwrite(str(source), cv2.imread(str(IMAGES / "coffee.png")))
    code, out, err = run_cli("session", "new", str(source), "--json")
    assert code == 0, err
    sid = json.loads(out)["id"]
    rounds = []
    for instruction in ("裁剪为1:1", "旋转90度", "提高亮度10%"):
        code, out, err = run_cli("session", "edit", sid, instruction, "--json")
        assert code == 0, err
        rounds.append(json.loads(out))
    assert [r["route"] for r in rounds] == ["opencv"] * 3 and all(r["status"] == "published" for r in rounds)
    assert rounds[1]["before"] == rounds[0]["output"] and rounds[2]["before"] == rounds[1]["output"]
    # the third round is the three ops on the original, in one go, not three generations
    assert [op["op"] for op in rounds[2]["ops"]] == ["crop", "rotate", "brightness"]
    original = cv2.imread(str(source))
    expected = cv2.rotate(original[:, 100:500], cv2.ROTATE_90_CLOCKWISE)
    third = cv2.imread(rounds[2]["output"])
    assert third.shape == (400, 400, 3) and psnr(cv2.imread(rounds[1]["output"]), expected) == float("inf")
    # undo: the session goes back to the second round's picture, and a new round builds on it
    code, out, _ = run_cli("session", "undo", sid)
    assert code == 0 and "undid round 3" in out
    code, out, _ = run_cli("session", "edit", sid, "水平翻转", "--json")
    fourth = json.loads(out)
    assert fourth["before"] == rounds[1]["output"] and [op["op"] for op in fourth["ops"]] == [
        "crop",
        "rotate",
        "flip",
    ]
    code, out, _ = run_cli("session", "show", sid, "--json")
    shown = json.loads(out)
    assert shown["current"] == fourth["output"] and [r["undone"] for r in shown["rounds"]] == [
        False,
        False,
        True,
        False,
    ]
    assert run_cli("session", "edit", sid, "今天天气怎么样")[0] == 2  # refused, no round
    assert run_cli("session", "edit", "ses_nope", "flip")[0] == 2
    for _ in range(3):
        run_cli("session", "undo", sid)
    code, _, err = run_cli("session", "undo", sid)
    assert code == 2 and "nothing to undo" in err


@pytest.mark.slow
def test_a_model_round_sees_the_latest_picture(run_cli, tmp_path, monkeypatch):
    pytest.importorskip("diffusers")
    from tasks.edit.qwen.tiny import make_tiny

    monkeypatch.setenv("RETOUCH_MODEL", str(make_tiny(tmp_path / "tiny")))
    monkeypatch.setenv("RETOUCH_MODEL_STEPS", "2")
    monkeypatch.setenv("RETOUCH_MODEL_CANDIDATES", "1")
    sid = json.loads(run_cli("session", "new", str(IMAGES / "coffee.png"), "--json")[1])["id"]
    first = json.loads(run_cli("session", "edit", sid, "裁剪为1:1", "--json")[1])
    model = json.loads(run_cli("session", "edit", sid, "把杯子换成一杯绿茶", "--json")[1])
    assert model["route"] == "model" and model["before"] == first["output"]
    assert model["status"] == "review"  # the tiny model's noise: a person decides
    assert cv2.imread(model["output"]).shape == (400, 400, 3)  # the square, edited

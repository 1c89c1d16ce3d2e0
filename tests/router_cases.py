"""Score the router on the cases in tests/data/*.jsonl: the route, and what the edit does.

Each case names the routes that count as right and, for OpenCV jobs, what the edited 600x400
coffee photo must show (size, aspect, transform, brighter...); for model jobs, what the plan's
structured intent must hold (action, colour, old/new text, a keep-constraint). The measures here
are written from the pixels and the case's words, not from the router's code.

    python -m tests.router_cases [FILE]     # per-family scores and every miss
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from routing import route
from tasks.edit.opencv_ops import apply_ops

DATA = Path(__file__).with_name("data")
COFFEE = Path(__file__).resolve().parents[1] / "examples" / "images" / "coffee.png"


def load_cases(path: Path = DATA / "router_cases.jsonl") -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _luma(bgr: np.ndarray) -> np.ndarray:
    if bgr.ndim == 2:
        return bgr.astype(np.float64)
    b, g, r = (bgr[..., i].astype(np.float64) for i in range(3))
    return 0.299 * r + 0.587 * g + 0.114 * b


def _saturation(bgr: np.ndarray) -> float:
    if bgr.ndim == 2 or np.ptp(bgr.astype(int), axis=2).max() == 0:
        return 0.0
    return float(cv2.cvtColor(bgr[..., :3], cv2.COLOR_BGR2HSV)[..., 1].mean())


def _is_grey(bgr: np.ndarray) -> bool:
    return bgr.ndim == 2 or float(np.ptp(bgr[..., :3].astype(int), axis=2).mean()) < 2


_TRANSFORMS = {
    "hflip": lambda a: a[:, ::-1],
    "vflip": lambda a: a[::-1],
    "rot180": lambda a: a[::-1, ::-1],
    "rot90cw": lambda a: np.rot90(a, k=-1),
    "rot90ccw": lambda a: np.rot90(a, k=1),
}


def image_misses(expect: dict, src: np.ndarray, out: np.ndarray, op_names: list[str]) -> list[str]:
    """What the output misses of the case's expectations (empty: all met)."""
    misses = []
    h, w = out.shape[:2]
    l0, l1 = _luma(src), _luma(out)
    for key, want in expect.items():
        if key == "size" and (abs(w - want[0]) > 1 or abs(h - want[1]) > 1):
            misses.append(f"size {w}x{h}, wanted {want[0]}x{want[1]}")
        elif key == "aspect" and abs(w / h - want) / want > 0.01:
            misses.append(f"aspect {w / h:.3f}, wanted {want}")
        elif key == "transform":
            ref = _TRANSFORMS[want](src)
            if ref.shape[:2] != out.shape[:2] or np.abs(_luma(ref) - l1).mean() > 12:
                misses.append(f"not a {want}")
        elif key == "gray" and not _is_grey(out):
            misses.append("not grey")
        elif key == "brighter" and not l1.mean() > l0.mean() * 1.04:
            misses.append("not brighter")
        elif key == "darker" and not l1.mean() < l0.mean() * 0.96:
            misses.append("not darker")
        elif key == "more_contrast" and not l1.std() > l0.std() * 1.04:
            misses.append("no more contrast")
        elif key == "less_contrast" and not l1.std() < l0.std() * 0.96:
            misses.append("no less contrast")
        elif key == "more_saturated" and not _saturation(out) > _saturation(src) * 1.04:
            misses.append("not more saturated")
        elif key == "less_saturated" and not _saturation(out) < _saturation(src) * 0.96:
            misses.append("not less saturated")
        elif key in ("warmer", "cooler"):
            t0 = float(src[..., 2].mean() - src[..., 0].mean())
            t1 = float(out[..., 2].mean() - out[..., 0].mean()) if out.ndim == 3 else t0
            if (key == "warmer" and not t1 > t0 + 3) or (key == "cooler" and not t1 < t0 - 3):
                misses.append(f"not {key}")
        elif key == "white_border":
            corners = [out[:4, :4], out[:4, -4:], out[-4:, :4], out[-4:, -4:]]
            if min(float(c[..., :3].mean()) for c in corners) < 245:
                misses.append("corners are not white")
        elif key == "ops" and op_names != want:
            misses.append(f"ops {op_names}, wanted {want}")
    return misses


def intent_misses(want: dict, intent: dict | None) -> list[str]:
    if intent is None:
        return ["no intent on the plan"]
    misses = []
    for key, value in want.items():
        got = intent.get(key)
        if key == "keep":
            got = bool(intent.get("keep"))
        elif key == "colour":
            got = (intent.get("colour") or {}).get("name")
        if got != value:
            misses.append(f"intent {key} {got!r}, wanted {value!r}")
    return misses


def case_misses(case: dict, src: np.ndarray) -> list[str]:
    plan = route(case["instruction"], image_size=(src.shape[1], src.shape[0]))
    if plan.route not in case["routes"]:
        return [f"route {plan.route} ({plan.reason}), wanted {'|'.join(case['routes'])}"]
    if plan.route == "reject" and not plan.reason:
        return ["rejected without a reason"]
    if plan.route == "opencv" and case.get("expect"):
        out = apply_ops(src, plan.ops)
        return image_misses(case["expect"], src, out, [op.name for op in plan.ops])
    if plan.route == "model" and case.get("intent"):
        data = plan.to_dict()
        return intent_misses(case["intent"], data.get("intent"))
    return []


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DATA / "router_cases.jsonl"
    src = cv2.imread(str(COFFEE), cv2.IMREAD_COLOR)
    by_family: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in load_cases(path):
        misses = case_misses(case, src)
        by_family[case.get("family", "-")][0 if misses else 1] += 1
        if misses:
            print(f"MISS {case['id']} [{case.get('family')}] {case['instruction']!r}: {'; '.join(misses)}")
    total = [sum(v[i] for v in by_family.values()) for i in (0, 1)]
    for family, (bad, good) in sorted(by_family.items()):
        print(f"  {family:22s} {good:3d}/{good + bad:3d}")
    print(f"router cases: {total[1]}/{sum(total)} = {total[1] / sum(total):.1%}")
    return 0 if total[0] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

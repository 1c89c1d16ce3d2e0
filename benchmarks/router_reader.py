"""Fit the router's learned reader (routing/reader.py) and measure it leave-set-out.

    .venv/bin/python benchmarks/router_reader.py fit        # writes routing/reader_model.json
    .venv/bin/python benchmarks/router_reader.py evaluate   # leave-set-out, rules alone vs with it
    .venv/bin/python benchmarks/router_reader.py score [SET.jsonl ...] [--rules-only]  # held-out sets

Labelled requests: the router's case files in tests/data (each set written by another writer) and
the shared dev set (../shared/eval/instructions.dev.jsonl, when present). A request's class is
its (first) route; a refused one is `unsafe` when its family is about safety or text addressed
to the system, `not_edit` otherwise; requests that may be refused or done teach nothing and are
left out. `HELD_OUT` sets are never fitted on: they stay a measure of requests the reader never saw.

`evaluate` fits the reader once per case set without that set and scores the set with the full
checks of ../shared/eval/score_router.py (the route, and for OpenCV jobs the pixels of the edit of
images/coffee.png) with the rules alone and with the reader: how much it helps on phrasings it
never saw, and whether it breaks anything. Needs scikit-learn (`pip install 'retouch[gate]'`).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from routing import route  # noqa: E402
from routing.reader import CLASSES, DEFAULT_PATH, Reader, reader_text  # noqa: E402
from tasks.edit.opencv_ops import apply_ops  # noqa: E402

DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "eval"
SETS = (
    "router_cases",
    "router_holdout",
    "router_fresh",
    "router_fresh2",
    "router_fresh3",
    "router_fresh4",
    "router_fresh5",
    "router_fresh6",
    "router_fresh7",
    "router_fresh8",
    "router_fresh9",
    "safety_matrix",
    "safety_matrix2",
)
# never fitted on (fresh5-fresh9 were held out too, until their cases had shaped the rules: from
# then on they are leave-set-out measures like the others)
HELD_OUT = ("router_fresh10", "router_fresh11", "router_fresh12", "router_fresh13")
EVALUATED = tuple(name for name in SETS if name.startswith(("router_fresh", "safety")))  # written blind
_UNSAFE_FAMILY = ("unsafe", "inject", "system", "prompt")


def label(row: dict) -> str | None:
    """The reader's class of a labelled request, or None when it may be refused or done: an edit
    either route may do ("white background": OpenCV or the model) is an edit, of its first route."""
    if len(row["routes"]) != 1 and "reject" in row["routes"]:
        return None
    route_ = row["routes"][0]
    if route_ != "reject":
        return route_
    family = row.get("family", "")
    return "unsafe" if any(word in family for word in _UNSAFE_FAMILY) else "not_edit"


def load_sets() -> dict[str, list[dict]]:
    sets = {name: _rows(DATA / f"{name}.jsonl") for name in SETS}
    dev = SHARED / "instructions.dev.jsonl"
    if dev.exists():
        sets["dev"] = _rows(dev)
    return sets


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def make_vectoriser():
    """Character n-grams 1-4 within words, seen in two requests at least, sublinear tf-idf."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), min_df=2, sublinear_tf=True)


def make_classifier():
    """Multinomial logistic regression, each class weighing the same whatever its count."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10, max_iter=5000, class_weight="balanced")


def training_pairs(rows: list[dict]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(texts as the reader reads them, classes) of the labelled rows with one right route."""
    pairs = [(reader_text(r["instruction"]), label(r)) for r in rows if label(r)]
    texts, classes = zip(*pairs, strict=True)
    return texts, classes


def fit(rows: list[dict], fitted_on: str) -> Reader:
    """A reader fitted on the labelled `rows`."""
    texts, classes = training_pairs(rows)
    vectoriser = make_vectoriser()
    model = make_classifier().fit(vectoriser.fit_transform(texts), classes)
    order = [list(model.classes_).index(name) for name in CLASSES]
    features = {
        gram: (float(vectoriser.idf_[j]), *(float(model.coef_[k, j]) for k in order))
        for gram, j in vectoriser.vocabulary_.items()
    }
    return Reader(CLASSES, tuple(float(model.intercept_[k]) for k in order), features, (1, 4), fitted_on)


def _scorer():
    spec = importlib.util.spec_from_file_location("score_router", SHARED / "score_router.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score(rows: list[dict], reader: Reader | bool, scorer) -> tuple[int, int, int, int]:
    """(checks passed, checks, requests passed, silent wrong OpenCV edits) as score_router.py counts."""
    src = scorer.load(scorer.COFFEE)
    bgr = cv2.imread(str(scorer.COFFEE), cv2.IMREAD_UNCHANGED)
    passed = total = requests = silent = 0
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "out.png"
        for row in rows:
            plan = route(row["instruction"], (bgr.shape[1], bgr.shape[0]), reader=reader)
            ok = plan.route in row["routes"]
            total += 1
            passed += ok
            if row.get("expect") and row["routes"] == ["opencv"]:
                total += 1
                if plan.route == "opencv":
                    cv2.imwrite(str(out_path), apply_ops(bgr, plan.ops))
                    edit_ok = not scorer.check(row["expect"], src, scorer.load(out_path))
                    silent += not edit_ok
                else:
                    edit_ok = False
                passed += edit_ok
                ok = ok and edit_ok
            requests += ok
    return passed, total, requests, silent


def _line(name: str, rows: list[dict], result: tuple[int, int, int, int]) -> str:
    passed, total, requests, silent = result
    return (
        f"{passed}/{total} = {passed / total:.1%} of checks, {requests}/{len(rows)} = "
        f"{requests / len(rows):.1%} of requests, {silent} silent wrong"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fit", help="fit on every case set but the held-out ones; write the model")
    sub.add_parser("evaluate", help="leave-set-out: each set scored by a reader fitted without it")
    one = sub.add_parser(
        "score", help="score case sets (the held-out ones by default) with the shipped reader"
    )
    one.add_argument("sets", type=Path, nargs="*", default=[DATA / f"{name}.jsonl" for name in HELD_OUT])
    one.add_argument("--rules-only", action="store_true")
    args = parser.parse_args()
    sets = load_sets()
    if args.command == "fit":
        rows = [r for rows in sets.values() for r in rows]
        reader = fit(rows, ", ".join(sets))
        DEFAULT_PATH.write_text(json.dumps(reader.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
        counts = Counter(label(r) for r in rows if label(r))
        print(f"fitted on {sum(counts.values())} requests {dict(counts)}: {len(reader.features)} n-grams")
        print(f"wrote {DEFAULT_PATH}")
        return
    scorer = _scorer()
    if args.command == "score":
        for path in args.sets:
            rows = _rows(path)
            print(f"{path.stem}: {_line(path.stem, rows, score(rows, not args.rules_only, scorer))}")
        return
    gains = []
    for name in EVALUATED:
        rest = [r for other, rows in sets.items() if other != name for r in rows]
        reader = fit(rest, f"all but {name}")
        before = score(sets[name], False, scorer)
        after = score(sets[name], reader, scorer)
        gains.append(after[0] / after[1] - before[0] / before[1])
        print(f"{name}: rules alone {_line(name, sets[name], before)}")
        print(f"{' ' * len(name)}  with reader {_line(name, sets[name], after)}")
    print(f"median gain {statistics.median(gains):+.1%} of checks over {len(gains)} sets left out")


if __name__ == "__main__":
    main()

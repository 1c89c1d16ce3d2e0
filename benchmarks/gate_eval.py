"""The gate's corpus: generate it, score a gate on it, and measure the learned risk model
leave-family-out (`lofo`).

    .venv/bin/python benchmarks/gate_eval.py generate [--authors a b c d e] [--per-family 10]
    .venv/bin/python benchmarks/gate_eval.py measure      measures of the training pairs (a b c d)
    .venv/bin/python benchmarks/gate_eval.py lofo         leave-family-out (and -author-out) table
    .venv/bin/python benchmarks/gate_eval.py fit          fit tasks/check/risk_model.json on a b c d
    .venv/bin/python benchmarks/gate_eval.py score [--authors ...] [--label NAME]

The corpus is written by people who never read the checks (benchmarks/gate_corpus/SPEC.md is
what they were given): families of good and bad edits, each in benchmarks/gate_corpus/
families_<author>.py; holdout_e.py and holdout_f.py are held-out sets that no model is fitted on. `score` runs
`retouch check --jsonl` (the command the shared scorer calls, so any version of Retouch on
PYTHONPATH can be scored) and prints bad edits sent to review and good edits published, per
family, per action and per author.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "benchmarks" / "gate_corpus"
DATA = ROOT / "benchmarks" / "data" / "gate-corpus"
RESULTS = ROOT / "benchmarks" / "results"
TRAINING_AUTHORS = ("a", "b", "c", "d")
HELD_OUT_AUTHORS = ("e", "f")


def module_of(author: str):
    """The generator module of one author (families_<a>.py, or holdout_<e>.py)."""
    path = next(CORPUS.glob(f"*_{author}.py"))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pairs_file(author: str) -> Path:
    return DATA / author / "pairs.jsonl"


def read_pairs(authors) -> list[dict]:
    rows = []
    for author in authors:
        path = pairs_file(author)
        if not path.exists():
            sys.exit(f"{path} is missing: run `benchmarks/gate_eval.py generate --authors {author}` first")
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def generate(authors, per_family: int, seed: int) -> None:
    for author in authors:
        started = time.perf_counter()
        rows = module_of(author).make(DATA / author, seed=seed, per_family=per_family)
        print(
            f"author {author}: {len(rows)} pairs, {len({r['family'] for r in rows})} families "
            f"({time.perf_counter() - started:.0f} s)"
        )


def run_check(rows: list[dict], workdir: Path) -> dict[str, dict]:
    """{id: the `retouch check --jsonl` answer} for every pair, through the command line."""
    workdir.mkdir(parents=True, exist_ok=True)
    listing = workdir / "check-input.jsonl"
    listing.write_text(
        "".join(
            json.dumps({k: r[k] for k in ("id", "before", "after", "instruction")}, ensure_ascii=False) + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "retouch", "check", "--jsonl", str(listing)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    answers = {}
    for line in proc.stdout.splitlines():
        try:
            answer = json.loads(line)
        except ValueError:
            continue
        if isinstance(answer, dict) and "id" in answer:
            answers[answer["id"]] = answer
    if len(answers) < len(rows):
        sys.exit(
            f"retouch check answered {len(answers)} of {len(rows)} pairs (exit {proc.returncode}): "
            f"{proc.stderr[-500:]}"
        )
    return answers


def tally(rows: list[dict], verdict_of) -> dict:
    """Per family / action / author: (right, total), and the overall recall and keep."""
    table: dict[str, dict[str, list[int]]] = {"family": defaultdict(lambda: [0, 0])}
    table["action"] = defaultdict(lambda: [0, 0, 0, 0])  # bad right, bad, good right, good
    table["author"] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        right = verdict_of(row) == row["expect"]
        table["family"][row["family"]][0] += right
        table["family"][row["family"]][1] += 1
        offset = 0 if row["expect"] == "review" else 2
        for key in ("action", "author"):
            table[key][row[key]][offset] += right
            table[key][row[key]][offset + 1] += 1
    bad = [r for r in rows if r["expect"] == "review"]
    good = [r for r in rows if r["expect"] == "publish"]
    recall = sum(verdict_of(r) == "review" for r in bad) / max(1, len(bad))
    keep = sum(verdict_of(r) == "publish" for r in good) / max(1, len(good))
    return {"table": table, "recall": recall, "keep": keep, "bad": len(bad), "good": len(good)}


def print_tally(result: dict, rows: list[dict]) -> None:
    expect = {r["family"]: r["expect"] for r in rows}
    action = {r["family"]: r["action"] for r in rows}
    print(f"{'family':34s} {'kind':7s} {'action':10s} right")
    for family in sorted(result["table"]["family"], key=lambda f: (expect[f], f)):
        right, total = result["table"]["family"][family]
        kind = "bad" if expect[family] == "review" else "good"
        print(f"  {family:32s} {kind:7s} {action[family]:10s} {right:3d}/{total:3d}")
    for key in ("action", "author"):
        print(f"by {key}: bad edits to review | good edits published")
        for name, (br, bt, gr, gt) in sorted(result["table"][key].items()):
            bad, good = f"{br:4d}/{bt:<4d} {br / max(1, bt):6.1%}", f"{gr:4d}/{gt:<4d} {gr / max(1, gt):6.1%}"
            print(f"  {name:12s} {bad} | {good}")
    print(
        f"bad edits sent to review {result['recall']:.1%} of {result['bad']}; "
        f"good edits published {result['keep']:.1%} of {result['good']}"
    )


def score(authors, label: str) -> None:
    rows = read_pairs(authors)
    started = time.perf_counter()
    answers = run_check(rows, DATA / "runs" / label)
    seconds = time.perf_counter() - started
    result = tally(rows, lambda r: answers.get(r["id"], {}).get("verdict"))
    print_tally(result, rows)
    print(f"{len(rows)} pairs checked in {seconds:.0f} s")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"gate_{label}.json"
    out.write_text(
        json.dumps(
            {
                "label": label,
                "authors": list(authors),
                "recall": result["recall"],
                "keep": result["keep"],
                "per_family": {k: v for k, v in result["table"]["family"].items()},
                "per_action": {k: v for k, v in result["table"]["action"].items()},
                "per_author": {k: v for k, v in result["table"]["author"].items()},
                "verdicts": {k: a.get("verdict") for k, a in answers.items()},
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    print(f"written {out.relative_to(ROOT)}")


def measures_file() -> Path:
    return DATA / "measures.jsonl"


def measure(authors) -> None:
    from tasks.check.risk_fit import measure_rows, save_measures

    rows = read_pairs(authors)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 50 == 0 or done == len(rows):
            print(f"  measured {done}/{len(rows)} ({time.perf_counter() - started:.0f} s)", flush=True)

    records = measure_rows(rows, progress=progress)
    save_measures(records, measures_file())
    print(f"{len(records)} pairs measured into {measures_file().relative_to(ROOT)}")


def _records(authors):
    from tasks.check.risk_fit import load_measures

    wanted = {r["id"]: r for r in read_pairs(authors)}
    records = [r for r in load_measures(measures_file()) if r.id in wanted]
    missing = len(wanted) - len(records)
    if missing:
        sys.exit(f"{missing} pairs have no measures: run `benchmarks/gate_eval.py measure` first")
    return records, wanted


def lofo(l2: float) -> None:
    """Leave-family-out and leave-author-out risk of every training pair, and the tables."""
    from sklearn.metrics import roc_auc_score

    from config.thresholds import EXPECTED_BAD_RATE, publish_threshold
    from tasks.check.risk import RiskModel, at_rate
    from tasks.check.risk_fit import fit, leave_family_out, risk_of

    records, rows = _records(TRAINING_AUTHORS)
    threshold = publish_threshold()
    started = time.perf_counter()
    by_family = leave_family_out(records, l2)
    by_author = {}
    for author in TRAINING_AUTHORS:
        model = RiskModel.from_dict(fit([r for r in records if rows[r.id]["author"] != author], l2))
        by_author.update({r.id: risk_of(model, r) for r in records if rows[r.id]["author"] == author})
    print(
        f"fitted {len({r.family for r in records}) + len(TRAINING_AUTHORS)} models in "
        f"{time.perf_counter() - started:.0f} s; publish below risk {threshold:.3f}"
    )
    report = {"threshold": threshold, "l2": l2}
    for name, risks in (("leave-family-out", by_family), ("leave-author-out", by_author)):
        print(f"== {name}")
        # risks are calibrated where half the edits are bad (the calibration table below); the
        # gate weighs them where EXPECTED_BAD_RATE are, as `retouch check` does
        result = tally(
            list(rows.values()),
            lambda r, risks=risks: (
                "review" if at_rate(risks[r["id"]], 0.5, EXPECTED_BAD_RATE) >= threshold else "publish"
            ),
        )
        print_tally(result, list(rows.values()))
        report[name] = {
            "recall": result["recall"],
            "keep": result["keep"],
            "per_family": dict(result["table"]["family"]),
            "per_action": dict(result["table"]["action"]),
            "per_author": dict(result["table"]["author"]),
        }
    print("== calibration (leave-family-out): predicted risk vs observed bad rate")
    bins = [0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 1.01]
    calibration = []
    for low, high in zip(bins[:-1], bins[1:], strict=True):
        members = [r for r in records if low <= by_family[r.id] < high]
        if members:
            mean = sum(by_family[r.id] for r in members) / len(members)
            observed = sum(r.bad for r in members) / len(members)
            calibration.append((low, high, len(members), mean, observed))
            span = f"{low:.2f}-{min(high, 1):.2f}"
            print(f"  risk {span}: {len(members):4d} pairs, mean risk {mean:.2f}, bad {observed:.2f}")
    report["calibration"] = calibration
    print("== ROC AUC per action (leave-family-out)")
    report["auc"] = {}
    for action in sorted({rows[r.id]["action"] for r in records}):
        members = [r for r in records if rows[r.id]["action"] == action]
        labels = [r.bad for r in members]
        if len(set(labels)) == 2:
            auc = roc_auc_score(labels, [by_family[r.id] for r in members])
            report["auc"][action] = auc
            print(f"  {action:12s} {auc:.3f} ({len(members)} pairs)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "gate_lofo.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))


def fit_model(l2: float) -> None:
    from tasks.check.risk_fit import fit, write_model

    records, _ = _records(TRAINING_AUTHORS)
    path = write_model(fit(records, l2))
    families = len({r.family for r in records})
    print(f"fitted on {len(records)} pairs of {families} families: {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the corpus's pictures and pairs.jsonl")
    gen.add_argument("--authors", nargs="+", default=[*TRAINING_AUTHORS, *HELD_OUT_AUTHORS])
    gen.add_argument("--per-family", type=int, default=10)
    gen.add_argument("--seed", type=int, default=2026)
    sc = sub.add_parser("score", help="score `retouch check --jsonl` on the corpus")
    sc.add_argument("--authors", nargs="+", default=[*TRAINING_AUTHORS, *HELD_OUT_AUTHORS])
    sc.add_argument("--label", default="now")
    me = sub.add_parser("measure", help="measure the training pairs (for lofo and fit; rewrites the file)")
    me.add_argument("--authors", nargs="+", default=list(TRAINING_AUTHORS))
    lo = sub.add_parser("lofo", help="leave-family-out table of the risk model on the training authors")
    lo.add_argument("--l2", type=float, default=None)
    fi = sub.add_parser("fit", help="fit the shipped risk model on the training authors")
    fi.add_argument("--l2", type=float, default=None)
    args = parser.parse_args()
    if args.command == "generate":
        generate(args.authors, args.per_family, args.seed)
    elif args.command == "score":
        score(args.authors, args.label)
    elif args.command == "measure":
        measure(args.authors)
    else:
        from tasks.check.risk_fit import L2

        l2 = args.l2 if args.l2 is not None else L2
        (lofo if args.command == "lofo" else fit_model)(l2)


if __name__ == "__main__":
    main()

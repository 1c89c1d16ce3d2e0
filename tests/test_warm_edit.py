"""The warm lane's parser of `retouch edit` against click's own parsing of the same command:
every command line it takes must mean what the full command line reads in it."""

from __future__ import annotations

import pytest
import typer

from retouch.cli.commands import app
from retouch.cli.warm_edit import parse_edit

TAKEN = [
    ["edit", "a.jpg", "crop to 1:1"],
    ["edit", "a.jpg", "crop to 1:1", "-o", "b.png"],
    ["edit", "-o", "b.png", "a.jpg", "crop to 1:1"],
    ["edit", "a.jpg", "--out", "b.png", "crop to 1:1", "--json"],
    ["edit", "a.jpg", "crop to 1:1", "--out=b.webp"],
    ["edit", "a.jpg", "crop to 1:1", "-ob.png"],
    ["edit", "a.jpg", "把图2的包放到图1的桌子上", "--ref", "r1.jpg", "--ref=r2.jpg"],
    ["edit", "a.jpg", "--", "-10% brightness"],
    ["edit", "-", "crop to 1:1", "-o", "-"],
    ["edit", "a.jpg", "crop", "-o", "x.png", "-o", "y.png"],  # the last one wins, as in click
]
DECLINED = [
    ["edit", "--help"],
    ["edit", "a.jpg"],
    ["edit", "a.jpg", "b", "c"],
    ["edit", "a.jpg", "crop", "--debug"],
    ["edit", "a.jpg", "crop", "-o"],
    ["edit", "a.jpg", "crop", "--ref"],
    ["edit", "a.jpg", "crop", "--json=1"],
    ["edit", "a.jpg", "-10% brightness"],
    ["--debug", "edit", "a.jpg", "crop"],
    ["route", "crop to 1:1"],
    [],
]


def click_params(argv: list[str]) -> dict:
    command = typer.main.get_command(app).commands["edit"]
    context = command.make_context("edit", list(argv[1:]))
    return context.params


@pytest.mark.parametrize("argv", TAKEN, ids=" ".join)
def test_what_the_warm_lane_takes_means_what_click_reads(argv):
    request = parse_edit(argv)
    assert request is not None
    params = click_params(argv)
    assert request == {
        "image": params["image"],
        "instruction": params["instruction"],
        "out": params["output"],
        "json": params["as_json"],
        "ref": list(params["refs"] or []),
    }


@pytest.mark.parametrize("argv", DECLINED, ids=lambda argv: " ".join(argv) or "nothing")
def test_anything_else_is_left_to_the_full_command_line(argv):
    assert parse_edit(argv) is None

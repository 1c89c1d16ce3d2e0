"""What `pip install .` gets: every package and data file, and no setuptools warnings (they read
like errors in the middle of `make demo`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow
JUNK = (
    ".git",
    ".venv",
    "build",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".retouch",
    "*-out",
    "data",
    "results",
)


def test_the_wheel_holds_every_package_and_building_it_warns_of_nothing(tmp_path):
    source = tmp_path / "source"  # a copy: the build leaves build/ and *.egg-info behind
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*JUNK))
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-v",
            "-w",
            str(tmp_path),
            ".",
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    said = built.stdout + built.stderr
    assert "would be ignored" not in said and "SetuptoolsDeprecationWarning" not in said
    (wheel,) = tmp_path.glob("retouch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "retouch/cli/__init__.py",  # sub-packages (a plain package list left these out)
        "retouch/cli/doctor.py",
        "tasks/edit/qwen/loader.py",
        "tasks/record/ledger/db.py",
        "retouch/migrations/env.py",  # data the code reads at run time
        "retouch/migrations/versions/0001_ledger.py",
        "routing/vocabulary.toml",
        "routing/safety.toml",
    ):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]


def test_an_editable_install_warns_of_nothing(tmp_path):
    """What `make demo` and `make test` run (`pip install -e .`): no "Editable installation"
    warning about a meta path finder; a plain .pth entry instead."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*JUNK))
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; print(build_meta.build_editable(sys.argv[1]))",
            str(tmp_path / "wheel"),
        ],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    said = built.stdout + built.stderr
    assert "Editable installation" not in said and "meta path finder" not in said, said[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    (pth,) = [n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".pth")]
    assert zipfile.ZipFile(wheel).read(pth).decode().strip() == str(source)


def test_prefect_internals_say_what_to_do_on_another_prefect():
    """retouch/prefect_api.py is the one module on Prefect's internals: another Prefect minor
    version is refused with the remedy, before anything relies on them."""
    from retouch.prefect_api import PrefectVersionError, check_prefect_version

    assert check_prefect_version().startswith("3.9.")  # the installed one is supported
    with pytest.raises(PrefectVersionError, match=r"Prefect 3\.10\.0 is installed") as raised:
        check_prefect_version("3.10.0")
    assert "pip install -c constraints.txt" in str(raised.value) and "PREFECT_API_URL" in str(raised.value)

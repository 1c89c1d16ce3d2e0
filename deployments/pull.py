"""The pull step of prefect.yaml's deployments: run the flow from this host's Retouch.

`prefect deploy` would otherwise record the deploying folder's absolute path as every run's
working directory, which exists on no other host. Here each worker's host runs the flow from
its own installation: RETOUCH_CHECKOUT if set, else the checkout this package is imported from
(the same code, by package name: the entrypoints are `flows.<module>.<flow>`). Relative paths
in a deployment's parameters (`examples/catalog.csv`) are read from there.
"""

from __future__ import annotations

import os
from pathlib import Path


def retouch_checkout() -> dict[str, str]:
    """Change into this host's Retouch checkout; returns it as the step's `directory` output."""
    directory = Path(os.environ.get("RETOUCH_CHECKOUT") or Path(__file__).resolve().parents[1]).expanduser()
    if not (directory / "prefect.yaml").is_file():
        raise FileNotFoundError(
            f"{directory} is not a Retouch checkout (no prefect.yaml): set RETOUCH_CHECKOUT on this host"
        )
    os.chdir(directory)
    return {"directory": str(directory)}

"""Why the model cannot edit: one-line errors for the results file."""

from __future__ import annotations


class ModelError(RuntimeError):
    """The model cannot edit this item; the message is one line for the results file."""


class ModelUnavailable(ModelError):
    """No weights, or no [model] extra: nothing can be edited by the model in this process."""


class ModelOutOfMemory(ModelError):
    """The GPU ran out of memory, also at the lower retry resolution."""


def missing_extra(exc: ImportError) -> ModelUnavailable:
    return ModelUnavailable(
        f"the image model needs the [model] extra ({exc.name} is missing): pip install 'retouch[model]'"
    )

"""What the clause reader finds and the op builders read: an op found in a clause, its slots
(the numbers and words given to it), and the error of a plan that cannot be done."""

from __future__ import annotations

from dataclasses import dataclass, field

ALL_SIDES = ("left", "right", "top", "bottom")

NUMERIC_SLOTS = (
    "ratio",
    "size",
    "fraction",
    "percent",
    "factor",
    "degrees",
    "stops",
    "pixels",
    "quality",
    "filesize",
)


@dataclass
class Slot:
    name: str
    start: int
    end: int
    groups: tuple[str | None, ...]

    @property
    def value(self) -> str:
        return next((g for g in self.groups if g is not None), "")


@dataclass
class Found:
    """An operation found in a clause, with the slots given to it."""

    name: str
    start: int
    end: int
    trigger: str
    slots: list[Slot] = field(default_factory=list)
    parts: list[tuple[int, int]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # the slots the op's builder read

    def get(self, name: str) -> Slot | None:
        self.used.add(name)
        return next((s for s in self.slots if s.name == name), None)

    def has(self, *names: str) -> bool:
        return any(s.name in names for s in self.slots)


class PlanError(ValueError):
    """An instruction that can be read but not done (impossible or unsafe parameters)."""

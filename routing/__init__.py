"""Routing: instruction (+ image size) -> Plan. Pure Python, no Prefect."""

from routing.plan import MODEL_OP, OPENCV_OPS, Op, Plan
from routing.router import Limits, describe, route

__all__ = ["MODEL_OP", "OPENCV_OPS", "Limits", "Op", "Plan", "describe", "route"]

"""Routing: instruction (+ image size) -> Plan (config.contracts). Pure Python, no Prefect."""

from routing.assemble import describe
from routing.router import route

__all__ = ["describe", "route"]

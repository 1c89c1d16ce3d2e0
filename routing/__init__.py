"""Routing: instruction (+ image size) -> Plan (config.contracts). Pure Python, no Prefect."""

from routing.router import describe, route

__all__ = ["describe", "route"]

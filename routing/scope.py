"""What a model edit may change, read once by the router and carried in its intent (`Intent.scope`)
for the checks: the whole look (a style, a filter, "整体"), everything but the product (a new or
blurred background), or a local part (the rest)."""

from __future__ import annotations

from dataclasses import replace

from config.contracts import Plan, Scope
from routing.normalize import normalise
from routing.vocabulary import Vocabulary


def scope_of(action: str | None, prompt: str, v: Vocabulary) -> Scope:
    """The scope of an edit whose intent's action is `action` (None: not known) and whose model
    prompt is `prompt` (normalised)."""
    if action == "style" or v.global_scope.search(prompt):
        return "global"
    if action in ("background", "blur") or v.background_scope.search(prompt):
        return "background"
    return "local"


def with_scope(plan: Plan, v: Vocabulary) -> Plan:
    """A model plan whose intent says its scope, read from the intent and the model's prompt."""
    if plan.intent is None or plan.model_prompt is None:
        return plan
    scope = scope_of(plan.intent.action, normalise(plan.model_prompt), v)
    return replace(plan, intent=replace(plan.intent, scope=scope))

"""Human review of one edit: suspend with a typed form, then publish, reject or edit again.

One flow run per item that the post-checks did not pass. It runs from the `review-edit`
deployment (`retouch serve`), suspends (the process ends; nothing is held while a person
decides) with a form drawn from ReviewDecision and a before/after description, and on resume
runs again from the top: the suspend call then returns the decision. Approve moves the output
from review/ to published/; re-edit makes a new edit with the reviewer's instruction and sends
it round again (a new review run); reject records why. Every decision is written next to the
output (decision.json) and as a Prefect artifact: who, when, what.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.deployments import run_deployment
from prefect.flow_runs import suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from pydantic import Field

from config.contracts import Item, ItemResult, ReviewAnswer, ReviewDecision
from config.settings import Settings, get_settings
from routing import route
from tasks.check.risk import in_words
from tasks.edit.dispatch import edit_item
from tasks.infra.notify import notify
from tasks.infra.signed_links import link_key, sign_query
from tasks.infra.storage import join, read_bytes, write_bytes
from tasks.record.ledger.costs import record_review
from tasks.record.results import write_results_file

REVIEW_DEPLOYMENT = "review-edit/review-edit"


class ReviewForm(RunInput, ReviewAnswer):
    """The reviewer's answer as the form in the Prefect UI (the review page and `retouch review`
    post the same): no decision is filled in for the reviewer, and the reviewer says who they are."""

    decision: Literal["approve", "reject", "re-edit"]  # the form must say: nothing is preselected
    reviewer: str = Field(min_length=1, description="who decides (kept in the record)")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def plain(text: object) -> str:
    """User text (an instruction, a note, a name) as inert Markdown: one line, every Markdown
    character escaped, HTML escaped; it can neither add a section nor load a remote image."""
    one_line = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False))


def review_description(item: Item, result: ItemResult, page: str | None, signed: str = "") -> str:
    """Markdown shown above the form: the request, what failed, before and after.

    `signed` is the query string that lets the reviewer's browser, which holds no review token,
    fetch this review's pictures and page (tasks/infra/signed_links.py)."""
    why = in_words(result.risk, result.risk_threshold, result.risk_drivers) or [
        f"{f.check}: {f.message}" for f in result.checks if not f.passed
    ]
    lines = [f"### Review `{item.id}`", ""]
    if result.model is not None and result.model.notice:  # the test model: say so before anything
        lines += [f'> **TEST MODEL: the "after" is noise.** {plain(result.model.notice)}', ""]
    lines += [f"**Instruction:** {plain(item.instruction)}", ""]
    if why:
        lines += ["**Why it needs a person:**", ""]
        lines += [f"- {plain(sentence)}" for sentence in why]
        lines.append("")
    if page:
        base = page.rstrip("/")
        lines += [
            "| before | after |",
            "| --- | --- |",
            f"| ![before]({base}/image/{flow_run.id}/before{signed}) "
            f"| ![after]({base}/image/{flow_run.id}/after{signed}) |",
            "",
            f"[Open the before/after page]({base}/review/{flow_run.id}{signed})",
        ]
    else:
        lines += [f"- before: {plain(item.image)}", f"- after: {plain(result.output)}"]
    return "\n".join(lines)


@task(name="publish-reviewed", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_reviewed(output: str, out_dir: str, folder: str) -> str:
    """Copy the approved output from review/ to published/ (same content-addressed name)."""
    name = output.replace("\\", "/").rsplit("/", 1)[-1]
    target = join(out_dir, "published", folder, name)
    write_bytes(target, read_bytes(output))
    return target


@task(name="record-decision", cache_policy=NO_CACHE)
def record_decision(out_dir: str, folder: str, decision: ReviewDecision) -> str:
    uri = join(out_dir, "review", folder, "decision.json")
    body = json.dumps(decision.model_dump(mode="json"), ensure_ascii=False, indent=2)
    write_bytes(uri, body.encode("utf-8"), "application/json")
    create_markdown_artifact(
        key="review-decision",
        markdown=f"**{decision.decision}** of `{decision.item}` by {plain(decision.reviewer)} at "
        f"{decision.at}: {plain(decision.note or '(no note)')}",
        description="review decision (audit)",
    )
    return uri


@task(name="record-review-cost", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def record_review_cost(decision: ReviewDecision, settings: Settings) -> float:
    """A person's review in the ledger (priced per item: waiting is not working) and audit log."""
    usd = settings.review_usd()
    record_review(
        settings.ledger_url,
        decision.item,
        decision.flow_run,
        decision,
        settings.reviewer_minutes_per_item,
        usd,
        settings.price_version,
    )
    return usd


def carry_out(
    answer: ReviewForm,
    decision: ReviewDecision,
    item: Item,
    result: ItemResult,
    out_dir: str,
    review_page: str | None,
    settings: Settings,
) -> ItemResult:
    """The item's new result: published, rejected, or edited again (and maybe reviewed again)."""
    if answer.decision == "approve":
        chosen = result.output
        if answer.candidate is not None:
            tried = result.candidates
            if not (0 <= answer.candidate < len(tried) and tried[answer.candidate].output):
                raise ValueError(f"no candidate {answer.candidate}: this edit has {len(tried)} outputs")
            chosen = tried[answer.candidate].output
        output = publish_reviewed(chosen, out_dir, item.folder)
        return result.model_copy(update={"output": output, "status": "published"})
    if answer.decision == "reject":
        return result.model_copy(
            update={"status": "rejected", "error": f"rejected by {answer.reviewer}: {answer.note}"}
        )
    new_item = item.model_copy(update={"instruction": answer.instruction or item.instruction})
    edited = edit_item(new_item, route(new_item.instruction, limits=settings.limits), out_dir, settings)
    decision.re_edit_status = edited.status
    if edited.status == "review":  # round again: a new review run for the new edit
        decision.next_review = request_review(new_item, edited, out_dir, review_page)
    return edited


@flow(name="review-edit")
def review_edit(item: Item, result: ItemResult, out_dir: str, review_page: str | None = None) -> ItemResult:
    """Wait for a person's decision on `result` (an edit of `item`), then carry it out."""
    settings = get_settings()
    signed = sign_query(link_key(settings), str(flow_run.id), settings.review_timeout_seconds)
    form = ReviewForm.with_initial_data(description=review_description(item, result, review_page, signed))
    answer: ReviewForm = suspend_flow_run(
        wait_for_input=form, key="decision", timeout=settings.review_timeout_seconds
    )
    decision = ReviewDecision(
        **answer.model_dump(include=set(ReviewAnswer.model_fields)),
        item=item.id,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        flow_run=str(flow_run.id),
        output=result.output,
    )
    get_run_logger().info("%s %s: %s", answer.reviewer, answer.decision, item.id)
    final = carry_out(answer, decision, item, result, out_dir, review_page, settings)
    decision.output = final.output  # where the decided picture is now
    final.review = decision
    write_results_file([final], out_dir, merge=True)  # the item's line says what was decided
    record_decision(out_dir, item.folder, decision)
    record_review_cost(decision, settings)
    notify(
        {
            "event": "review.decided",
            **decision.model_dump(mode="json"),
            "status": final.status,
            "output": final.output,
        },
        settings,
    )
    return final


def request_review(item: Item, result: ItemResult, out_dir: str, page: str | None) -> str | None:
    """Start a review run for a result that needs a person; None if no review deployment."""
    from prefect.exceptions import ObjectNotFound

    try:
        run = run_deployment(
            REVIEW_DEPLOYMENT,
            timeout=0,
            as_subflow=False,
            flow_run_name=f"review {item.id}",
            parameters={
                "item": item.model_dump(mode="json"),
                "result": result.to_dict(),
                "out_dir": out_dir,
                "review_page": page,
            },
        )
    except ObjectNotFound:
        return None
    return str(run.id)

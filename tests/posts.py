"""Web form posts in core tests: stored as the forms adapter stores them (`store_post`), and
made into leads as the worker makes them (`post_lead`)."""

from collections.abc import Mapping
from typing import Any

from crm.webforms import definitions, submissions
from crm.webforms.leads import SubmissionResult
from crm.webforms.submissions import Receipt, SubmissionMeta


async def store_post(slug: str, payload: Mapping[str, Any], meta: SubmissionMeta) -> Receipt:
    """The post to the form `slug`, checked and stored (no worker processes it)."""
    form = await definitions.get_public_form(slug)
    return await submissions.submit(form, payload, meta)


async def post_lead(
    slug: str, payload: Mapping[str, Any], meta: SubmissionMeta | None = None
) -> SubmissionResult:
    """The post stored, then processed: the lead's outcome (a post that is not one, rejected
    at once, spam or held, as its receipt says)."""
    receipt = await store_post(slug, payload, meta or SubmissionMeta())
    if receipt.status != "received":
        return SubmissionResult(receipt.submission_id, receipt.status, errors=receipt.errors)
    result = await submissions.process_stored(receipt.submission_id)
    assert result is not None
    return result

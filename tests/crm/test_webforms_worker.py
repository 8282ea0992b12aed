"""The web form worker: stored submissions become leads outside the request, each once,
whatever processes them, and a lead cut short leaves nothing half-done."""

import asyncio
from typing import Any

import pytest

from crm import customfields, memo, notifier
from crm.actors import system_actor
from crm.db import dialect
from crm.webforms import definitions, submissions, worker
from crm.webforms.submissions import SubmissionMeta
from crm.webforms.worker import Worker
from models import (
    Company,
    Contact,
    ContactCompany,
    FormSubmission,
    HistoryEntry,
    OutboxMessage,
    Staff,
    WebForm,
)
from tests.fakes import RecordingNotifier

CONSENT = {"consent": "on"}
TEST = system_actor("test")
COMPANY_FIELDS = [
    {"name": "name", "type": "text", "label": "Name", "maps_to": "name", "required": True},
    {"name": "phone", "type": "tel", "label": "Phone", "maps_to": "phone"},
    {"name": "email", "type": "email", "label": "E-mail", "maps_to": "email"},
    {"name": "company", "type": "text", "label": "Company", "maps_to": "company"},
    {"name": "message", "type": "textarea", "label": "Message", "maps_to": "message"},
]


async def company_form() -> str:
    """A form that asks for the visitor's company."""
    await definitions.create_form(
        TEST, {"slug": "b2b", "title": "B2B", "fields": COMPANY_FIELDS, "consent_required": False}
    )
    return "b2b"


def person(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Person{n} Test",
        "phone": f"06123456{n:02d}",
        "email": f"p{n}@example.fr",
        **CONSENT,
        **extra,
    }


async def store(payload: dict[str, Any], slug: str = "contact", **meta: Any) -> int:
    """A post stored as the adapter stores it (no worker runs unless the test started one)."""
    form = await definitions.get_public_form(slug)
    receipt = await submissions.submit(form, payload, SubmissionMeta(**meta))
    assert receipt.status == "received", receipt
    return receipt.submission_id


async def statuses() -> list[str]:
    return [
        str(s) for s in await FormSubmission.all().order_by("id").values_list("status", flat=True)
    ]


class Gate:
    """A notifier whose first lead alert waits until `open()`: a lead held inside its
    transaction, after its contact, company and turn were written."""

    def __init__(self) -> None:
        self.recording = RecordingNotifier()
        self.reached = asyncio.Event()
        self._opened = asyncio.Event()
        self._first = True

    def open(self) -> None:
        self._opened.set()

    async def queue_message(self, staff: Staff, kind: str, text: str, **kwargs: Any) -> Any:
        if self._first:
            self._first = False
            self.reached.set()
            await self._opened.wait()
        return await self.recording.queue_message(staff, kind, text, **kwargs)


async def test_the_worker_drains_what_was_received_before_it_started(db, make_staff):
    await make_staff("Admin", admin=True)
    ids = [await store(person(n)) for n in range(5)]
    assert await statuses() == ["received"] * 5
    running = Worker()
    running.start()
    try:
        await asyncio.wait_for(running.idle(), 30)
    finally:
        await running.stop()
    assert await statuses() == ["created"] * 5
    assert await Contact.all().count() == 5
    dedupe = await OutboxMessage.all().order_by("id").values_list("dedupe_key", flat=True)
    assert dedupe == [f"lead:{i}" for i in ids]


async def test_a_stored_submission_wakes_the_worker_and_piles_go_in_batches(db, make_staff):
    await make_staff("Admin", admin=True)
    running = Worker(batch_size=3)
    running.start()
    try:
        await asyncio.wait_for(running.idle(), 30)
        assert worker.running() is running
        for n in range(8):
            await store(person(n))
        await asyncio.wait_for(running.idle(), 30)
        assert await statuses() == ["created"] * 8
    finally:
        await running.stop()
    assert worker.running() is None
    await store(person(9))  # no worker: it waits for the next one, or the sweep
    assert (await statuses())[-1] == "received"


async def test_a_lead_cut_short_at_shutdown_rolls_back_and_is_processed_once_later(db, make_staff):
    await make_staff("Admin", admin=True)
    await store(person(1, company="Acme"), await company_form())
    gate = Gate()
    with notifier.using(gate):
        running = Worker()
        running.start()
        await asyncio.wait_for(gate.reached.wait(), 30)  # inside the lead's transaction
        await running.stop(grace=0.1)
    # Nothing half-written: no contact, company or history; the submission waits again.
    assert await statuses() == ["received"]
    assert await Contact.all().count() == 0 and await Company.all().count() == 0
    assert await HistoryEntry.filter(entity="contact").count() == 0
    with notifier.using(RecordingNotifier()) as sent:
        again = Worker()
        again.start()
        try:
            await asyncio.wait_for(again.idle(), 30)
        finally:
            await again.stop()
    assert await statuses() == ["created"]
    assert await Contact.all().count() == 1 and await Company.all().count() == 1
    assert [m.kind for m in sent.messages] == ["lead"]


async def test_a_database_error_leaves_the_lead_received_and_the_worker_tries_again(
    db, make_staff, monkeypatch
):
    await make_staff("Admin", admin=True)
    monkeypatch.setattr(worker, "RETRY_SECONDS", 0.05)
    await store(person(1))
    flaky = RecordingNotifier().fail_transiently("connection lost", times=2)
    with notifier.using(flaky):
        running = Worker()
        running.start()
        try:
            for _ in range(200):
                if await statuses() == ["created"]:
                    break
                await asyncio.sleep(0.05)
        finally:
            await running.stop()
    assert await statuses() == ["created"]
    assert len(flaky.messages) == 1


async def test_two_drains_at_once_process_each_lead_once(db, make_staff):
    """As two processes draining one queue do (on PostgreSQL on two connections)."""
    await make_staff("Admin", admin=True)
    slug = await company_form()
    for n in range(12):
        await store(person(n % 8, company=f"Company {n % 3}", message=f"try {n}"), slug)
    done = await asyncio.gather(*(worker.process_received(50) for _ in range(3)))
    assert sum(done) == 12
    assert await statuses() == ["created"] * 8 + ["merged"] * 4
    assert await Contact.all().count() == 8
    assert await Company.all().count() == 3
    assert await OutboxMessage.all().count() == 12


async def test_a_lead_of_a_form_does_not_wait_for_another_leads_turn(db, make_staff):
    """The queue's cursor is moved in a transaction of its own: another lead of the same form
    goes through while the first is still inside its transaction (before, the cursor's row
    lock made every lead of a form wait for the one ahead)."""
    if dialect() == "sqlite":
        pytest.skip("SQLite runs one transaction at a time")
    ann, bob = await make_staff("Ann"), await make_staff("Bob")
    form = await definitions.create_form(
        TEST, {"slug": "leads", "title": "Leads", "responsible_queue": [ann.id, bob.id]}
    )
    first = await store(person(1), "leads")
    second = await store(person(2), "leads")
    rows = {s.id: s for s in await FormSubmission.all().select_related("form")}
    gate = Gate()
    with notifier.using(gate):
        held = asyncio.ensure_future(worker.process_one(rows[first]))
        await asyncio.wait_for(gate.reached.wait(), 30)
        try:
            other = await asyncio.wait_for(worker.process_one(rows[second]), 10)
        finally:
            gate.open()
        result = await held
    assert other is not None and other.status == "created"
    assert result is not None and result.status == "created"
    responsibles = await Contact.all().order_by("id").values_list("responsible_id", flat=True)
    assert sorted(responsibles) == [ann.id, bob.id]
    assert (await WebForm.get(id=form.form.id)).queue_cursor == 2


async def test_two_leads_naming_one_new_company_at_once_make_one_company(db, make_staff):
    if dialect() == "sqlite":
        pytest.skip("SQLite runs one transaction at a time")
    await make_staff("Admin", admin=True)
    slug = await company_form()
    first = await store(person(1, company="Nouvelle Société"), slug)
    second = await store(person(2, company="nouvelle société"), slug)
    rows = {s.id: s for s in await FormSubmission.all().select_related("form")}
    gate = Gate()
    with notifier.using(gate):
        held = asyncio.ensure_future(worker.process_one(rows[first]))
        await asyncio.wait_for(gate.reached.wait(), 30)
        other = asyncio.ensure_future(worker.process_one(rows[second]))
        await asyncio.sleep(0.3)  # the second lead is at the company by now
        gate.open()
        await asyncio.gather(held, other)
    assert await Company.all().count() == 1
    company = await Company.get()
    assert await ContactCompany.filter(company_id=company.id).count() == 2


async def test_a_batch_reads_what_its_leads_share_once_and_the_next_batch_again(
    db, make_staff, monkeypatch
):
    await make_staff("Admin", admin=True)
    reads = []
    real = customfields.active_fields

    async def counting() -> Any:
        reads.append(1)
        return await real()

    monkeypatch.setattr(customfields, "active_fields", counting)
    for n in range(6):
        await store(person(n))
    running = Worker(batch_size=3)
    running.start()
    try:
        await asyncio.wait_for(running.idle(), 30)
    finally:
        await running.stop()
    assert await statuses() == ["created"] * 6
    assert len(reads) == 2  # one per batch of three (each lead read them before)
    # Outside a batch nothing is remembered: a one-off caller always reads.
    assert await memo.once("k", counting) is not None and len(reads) == 3
    await memo.once("k", counting)
    assert len(reads) == 4


async def test_leads_wait_while_posts_are_being_stored(db, make_staff):
    await make_staff("Admin", admin=True)
    await store(person(1))
    running = Worker()
    with running.posting():  # a post being stored: the lead waits for it
        running.start()
        try:
            await asyncio.sleep(0.2)
            assert await statuses() == ["received"]
        except BaseException:
            await running.stop()
            raise
    try:
        await asyncio.wait_for(running.idle(), 30)
    finally:
        await running.stop()
    assert await statuses() == ["created"]

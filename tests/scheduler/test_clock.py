"""The clock runs its sweeps in the running loop, once at start and then on its interval."""

import asyncio

from models import Contact, FormSubmission
from models.enums import SubmissionStatus
from scheduler.clock import Clock
from tests.crm.test_webforms import stranded


async def test_the_clock_processes_a_stranded_lead_right_after_start(db):
    payload = {"name": "Jean Dupont", "phone": "06 12 34 56 78", "consent": "on"}
    submission = await stranded(payload, minutes=10)
    clock = Clock("Europe/Paris")
    clock.start()
    try:
        assert clock.jobs == ["web-forms"]
        for _ in range(200):  # the first sweep runs at start, not SWEEP_SECONDS later
            stored = await FormSubmission.get(id=submission.id)
            if stored.status != SubmissionStatus.RECEIVED:
                break
            await asyncio.sleep(0.05)
    finally:
        clock.stop()
    assert stored.status == SubmissionStatus.CREATED
    assert await Contact.filter(id=stored.contact_id).exists()
    clock.stop()  # stopping twice is harmless


async def test_a_sweep_that_keeps_failing_logs_one_traceback_then_one_line_each(
    db, monkeypatch, caplog
):
    import logging

    from crm.webforms import submissions
    from scheduler.clock import Failures, resume_web_forms

    caplog.set_level(logging.INFO, logger="scheduler.clock")

    async def down(*args, **kwargs):
        raise ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 5432)")

    monkeypatch.setattr(submissions, "resume_stranded", down)
    failures = Failures("web form sweep")
    for _ in range(3):
        assert await resume_web_forms(failures) == 0
    records = [r for r in caplog.records if r.name == "scheduler.clock"]
    assert len(records) == 3
    assert records[0].exc_info is not None
    assert [r.exc_info for r in records[1:]] == [None, None]
    assert "3 times in a row" in records[2].getMessage()

    monkeypatch.undo()
    assert await resume_web_forms(failures) == 0
    assert "works again after 3 failed attempt(s)" in caplog.records[-1].getMessage()

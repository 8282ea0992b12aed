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

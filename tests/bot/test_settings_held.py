"""/settings → Web forms → a form → Held: spam and posts over a rate limit, newest first with
the reason; Release makes the lead, Delete removes the post; paged, escaped, in French; the
release through the running bot and the Bot API stand-in."""

from typing import Any

import pytest

from bot.handlers.settings.forms import FormAction, FormStep
from bot.handlers.settings.held import HeldAction, HeldStep
from crm.webforms.submissions import SubmissionMeta
from models import Contact, FormSubmission, HistoryEntry, OutboxMessage, Staff, WebForm
from models.enums import HistoryKind, Level
from tests.bot.harness import buttons
from tests.bot.test_settings import Admin
from tests.posts import post_lead, store_post
from tests.telegram_stub import TelegramStub


@pytest.fixture
async def alice(make_staff) -> Admin:
    return Admin(await make_staff("Alice", admin=True))


def visitor(name: str, email: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "email": email, "message": "Call me", "consent": "on", **extra}


async def hold(name: str, email: str, *, spam: str | None = None) -> int:
    meta = SubmissionMeta(spam_reason=spam) if spam else SubmissionMeta(hold_reason=RATE)
    result = await store_post("contact", visitor(name, email), meta)
    return result.submission_id


RATE = "rate limit: address"


async def contact_form() -> WebForm:
    return await WebForm.get(slug="contact")


async def open_held(admin: Admin) -> None:
    form = await contact_form()
    await admin.click(FormAction(action=FormStep.OPEN, form_id=form.id).pack())
    await admin.press("🛡 Held (2)")


async def test_the_held_screen_lists_posts_newest_first_with_the_reason(alice):
    first = await hold("Jean <Dupont>", "jean@example.fr")
    second = await hold("Bot & co", "bot@example.fr", spam="trap")
    await post_lead("contact", visitor("Real Lead", "real@example.fr"))
    await open_held(alice)
    text = alice.text
    assert "🛡 Held posts of <b>Contact us</b>" in text
    assert text.index(f"#{second}") < text.index(f"#{first}")
    assert "Bot &amp; co · bot@example.fr" in text  # escaped
    assert "Jean &lt;Dupont&gt; · jean@example.fr" in text
    assert "spam: the hidden trap field was filled" in text
    assert "over the rate limit of one address" in text
    assert "Real Lead" not in text
    shown = buttons(alice.last)
    assert {f"✅ Release #{first}", f"🗑 Delete #{first}", f"✅ Release #{second}"} <= set(shown)
    assert "◀ Back" in shown


async def test_release_makes_the_lead_and_says_so(alice):
    submission_id = await hold("Jean Dupont", "jean@example.fr")
    await hold("Other Person", "other@example.fr")
    await open_held(alice)
    await alice.press(f"✅ Release #{submission_id}")
    assert "✅ Post" in alice.text and "released: a new contact was created" in alice.text
    row = await FormSubmission.get(id=submission_id)
    assert row.status == "created" and row.contact_id is not None
    assert await Contact.filter(id=row.contact_id).exists()
    assert f"#{submission_id}" not in alice.text.split("\n\n", 1)[1]  # gone from the list
    assert await OutboxMessage.filter(kind="lead").count() == 1
    assert await HistoryEntry.filter(
        entity="form_submission", entity_id=submission_id, kind=HistoryKind.RESTORED
    ).exists()


async def test_a_second_press_on_release_says_it_is_no_longer_held(alice, make_staff):
    submission_id = await hold("Jean Dupont", "jean@example.fr")
    await hold("Other Person", "other@example.fr")
    bob = Admin(await make_staff("Bob", admin=True))
    await open_held(alice)
    await open_held(bob)
    await alice.press(f"✅ Release #{submission_id}")
    await bob.press(f"✅ Release #{submission_id}")
    assert "no longer held" in bob.text
    assert await Contact.all().count() == 1


async def test_delete_asks_first_then_removes_the_post(alice):
    submission_id = await hold("Jean Dupont", "jean@example.fr", spam="too fast")
    await hold("Other Person", "other@example.fr")
    await open_held(alice)
    await alice.press(f"🗑 Delete #{submission_id}")
    assert "Delete post" in alice.text and "for good" in alice.text
    assert await FormSubmission.exists(id=submission_id)
    await alice.press("Yes, delete it")
    assert "✅ Post" in alice.text and "deleted" in alice.text
    assert not await FormSubmission.exists(id=submission_id)
    assert await Contact.all().count() == 0


async def test_the_list_is_paged(alice):
    ids = [await hold(f"Person {n}", f"p{n}@example.fr") for n in range(12)]
    form = await contact_form()
    await alice.click(FormAction(action=FormStep.OPEN, form_id=form.id).pack())
    await alice.press("🛡 Held (12)")
    assert "(page 1 of 2)" in alice.text and f"<b>#{ids[-1]}</b>" in alice.text
    assert f"<b>#{ids[0]}</b>" not in alice.text
    await alice.press("Next ▶")
    assert "(page 2 of 2)" in alice.text and f"<b>#{ids[0]}</b>" in alice.text


async def test_french_admins_read_it_in_french(make_staff):
    await hold("Jean Dupont", "jean@example.fr")
    await hold("Bot", "bot@example.fr", spam="no token")
    staff = await make_staff("Alice", admin=True)
    await Staff.filter(id=staff.id).update(language="fr")
    admin = Admin(staff)
    form = await contact_form()
    await admin.click(FormAction(action=FormStep.OPEN, form_id=form.id).pack())
    await admin.press("🛡 Retenus (2)")
    assert "Envois retenus de" in admin.text
    assert "au-delà de la limite d’une adresse" in admin.text
    assert f"✅ Libérer #{(await FormSubmission.filter(status='held').first()).id}" in buttons(
        admin.last
    )


async def test_a_staff_member_without_the_settings_right_is_refused(make_staff):
    submission_id = await hold("Jean Dupont", "jean@example.fr")
    plain = Admin(await make_staff("Plain", level=Level.ALL))
    form = await contact_form()
    for step in (HeldStep.LIST, HeldStep.RELEASE, HeldStep.DELETE, HeldStep.CONFIRM_DELETE):
        data = HeldAction(action=step, form_id=form.id, submission_id=submission_id)
        await plain.click(data.pack())
        assert "right" in plain.text
    assert (await FormSubmission.get(id=submission_id)).status == "held"


async def test_release_through_the_running_bot(telegram: TelegramStub, make_staff):
    """End to end: the real bot polling the Bot API stand-in; the lead's alert goes out."""
    alice = await make_staff("Alice", admin=True)
    submission_id = await hold("Jean Dupont", "jean@example.fr")
    to_alice = telegram.user(alice.telegram_id, "Alice")
    menu = await to_alice.send("/settings")
    forms = await to_alice.click(menu[-1], "Web forms")
    form = await to_alice.click(forms[-1], "Contact us · contact")
    listed = await to_alice.click(form[-1], "Held (1)")
    assert any("Jean Dupont · jean@example.fr" in text for text in listed.texts)
    released = await to_alice.click(listed[-1], f"Release #{submission_id}")
    assert any("released: a new contact was created" in text for text in released.texts)
    row = await FormSubmission.get(id=submission_id)
    assert row.status == "created"
    assert await Contact.filter(id=row.contact_id).exists()
    assert await OutboxMessage.filter(kind="lead").count() == 1


def test_post_numbers_are_not_grouped_like_amounts():
    from datetime import UTC, datetime

    from bot.handlers.settings.held import held_screen
    from crm.webforms.held import HeldPage, HeldSubmission
    from tests.bot.harness import catalogue

    item = HeldSubmission(12345, datetime(2030, 1, 1, tzinfo=UTC), "held", RATE, "Ann", None)
    for language in ("en", "fr"):
        t = catalogue("en").translator(language)
        text, keyboard = held_screen(t, HeldPage(1, "contact", "Contact", [item], 0, 1, 1))
        assert "<b>#12345</b>" in text
        labels = [b.text for row in keyboard.inline_keyboard for b in row]
        assert any(label.endswith("#12345") for label in labels)

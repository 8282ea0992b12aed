"""The README screenshots script: the chat page escapes what the bot did not mark up, the
conversation is the real bot's, and Chromium turns a form and a chat into sane PNG files.

The browser test photographs one form page and one chat, not all six images: the script's
loops call the same two functions, and the whole set takes about 25 s on a busy machine
(`python -m docs.screenshots` makes it)."""

import os
import struct
from pathlib import Path

import pytest

from docs import screenshots
from docs.screenshots import chat_page, message_html

pytestmark = pytest.mark.either_database  # the pictures do not depend on the database

BROWSER_MISSING: str | None = None
if not screenshots.CHROMIUM.exists():
    BROWSER_MISSING = f"{screenshots.CHROMIUM} is missing (apt-get install -y chromium)"
else:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        BROWSER_MISSING = "playwright is not installed (pip install -e '.[dev]')"
if BROWSER_MISSING and os.environ.get("CARNET_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"CARNET_REQUIRE_BROWSER=1 but {BROWSER_MISSING}")
needs_browser = pytest.mark.skipif(BROWSER_MISSING is not None, reason=BROWSER_MISSING or "")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (after checking it is one)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_it_marks_up_a_message_only_from_its_entities():
    text = "👤 Jean <Dupont> & co #3"
    # Offsets count UTF-16 code units, as Telegram does: the emoji counts for two.
    entities = [
        {"type": "bold", "offset": 3, "length": 13},
        {"type": "italic", "offset": 8, "length": 8},
        {"type": "code", "offset": 22, "length": 2},
    ]
    assert message_html(text, entities) == (
        "👤 <b>Jean <i>&lt;Dupont&gt;</i></b> &amp; co <code>#3</code>"
    )


def test_it_escapes_button_texts_and_ignores_unknown_entities():
    message = {
        "message_id": 1,
        "date": 0,
        "from": {"id": 42, "is_bot": True},
        "text": "<script>alert(1)</script>",
        "entities": [{"type": "custom_emoji", "offset": 0, "length": 8}],
        "reply_markup": {"inline_keyboard": [[{"text": "<img src=x>", "callback_data": "x"}]]},
    }
    page = chat_page([message])
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span class="button">&lt;img src=x&gt;</span>' in page


async def test_the_conversation_is_the_real_bots(db):
    await screenshots.seed()
    scenes = await screenshots.record_conversation()
    card, search, duplicate = (
        scenes["bot-new-contact"][-1],
        scenes["bot-search-duplicate"][1],
        scenes["bot-search-duplicate"][-1],
    )
    assert "Jean Dupont" in card["text"] and "Ada Martin" in card["text"]
    assert {"type": "bold", "offset": 3, "length": 11} in card["entities"]
    assert "Claire Moreau" in search["text"]  # her landline holds 12 34 56 too
    assert "already have" in duplicate["text"]
    buttons = [b["text"] for row in duplicate["reply_markup"]["inline_keyboard"] for b in row]
    assert "Create anyway" in buttons


@needs_browser
async def test_it_photographs_a_form_page_and_a_chat(db, tmp_path):
    await screenshots.seed()
    scenes = await screenshots.record_conversation({"bot-new-contact": ["/new Jean Dupont"]})
    async with screenshots.chromium() as browser:
        async with screenshots.serve_web_app() as base_url:
            form = await screenshots.shoot_form(
                browser, base_url, tmp_path, "fr", screenshots.PHONE
            )
        chat = await screenshots.shoot_chat(
            browser, scenes["bot-new-contact"], tmp_path / "chat.png"
        )
    assert form.name == "form-phone-fr.png"
    width, height = png_size(form)
    assert width == 390 * 2 and height >= 844 * 2
    width, height = png_size(chat)
    assert width == screenshots.CHAT_WIDTH * 2 and height > 400
    for path in (form, chat):
        assert 10_000 < path.stat().st_size < 500_000, path

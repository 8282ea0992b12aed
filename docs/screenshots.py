"""The README screenshots, made from the real app so that they stay current.

Run from the repository root (it imports the Bot API stand-in from `tests/`):

    .venv/bin/python -m docs.screenshots [--out docs/screenshots]

It migrates a throwaway SQLite database, adds an admin and a few contacts through the core, then

1. serves the real web app on 127.0.0.1 and photographs the hosted `contact` form in Chromium
   (desktop and phone, English and French, a few fields filled in);
2. talks to the real bot through the Bot API stand-in (`tests/telegram_stub.py`), as the README's
   transcript does, and photographs the chat as the stand-in holds it: the texts and entities
   Telegram would have parsed from the HTML the bot sent, and the inline keyboards.

Needs Debian's Chromium (`apt-get install -y chromium`; never `playwright install`) and, for the
bot's emoji, `fonts-noto-color-emoji`.
"""

import argparse
import asyncio
import html
import logging
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from app.telegram import TelegramService
from app.web import build_app
from bot.config import BotConfig
from crm import config
from crm.actors import actor_for_staff, system_actor
from crm.companies import create as create_record
from crm.contacts import create_contact
from crm.setup import ensure_defaults
from crm.staff import add_staff
from forms.config import FormsConfig
from models import Staff, tortoise_config
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.telegram_stub import TelegramStub

log = logging.getLogger("carnet.screenshots")

OUT = Path(__file__).parent / "screenshots"
# Without it the bot's 👤 ✏️ 🔗 🗑 come out as empty boxes (Debian: fonts-noto-color-emoji).
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
# The same glyph shapes whatever the machine's settings.
SCREENSHOT_ARGS = [*CHROMIUM_ARGS, "--font-render-hinting=none"]
ADMIN_TELEGRAM_ID = 7001
ADMIN_FIRST, ADMIN_LAST = "Ada", "Martin"


@dataclass(frozen=True)
class Viewport:
    """A browser window size; phones are photographed at twice the pixel density."""

    name: str
    width: int
    height: int
    scale: int = 1


DESKTOP = Viewport("desktop", 1280, 900)
PHONE = Viewport("phone", 390, 844, scale=2)
CHAT_WIDTH = 420

# What a visitor types, per page language: realistic, and visibly in that language.
VISITOR = {
    "en": {
        "name": "Claire Moreau",
        "phone": "+33 6 98 76 54 32",
        "email": "claire.moreau@example.fr",
        "message": "Hello, could you call me back about a quote for a team of twelve?",
    },
    "fr": {
        "name": "Claire Moreau",
        "phone": "06 98 76 54 32",
        "email": "claire.moreau@example.fr",
        "message": "Bonjour, pourriez-vous me rappeler pour un devis pour une équipe de douze ?",
    },
}
LOCALES = {"en": "en-US", "fr": "fr-FR"}

# The README's transcript: what Ada sends, one image per scene.
SCENES = {
    "bot-new-contact": ["/new Jean Dupont +33 6 12 34 56 78 jean.dupont@example.fr Acme"],
    "bot-search-duplicate": ["12 34 56", "/new Jean-Pierre Dupont 06.12.34.56.78"],
}


# 1. The data the pages and cards show


async def seed() -> Staff:
    """An admin (Ada Martin) and a few contacts, made through the core like real use would."""
    cli = system_actor("cli")
    admin = await add_staff(
        cli, ADMIN_TELEGRAM_ID, name=f"{ADMIN_FIRST} {ADMIN_LAST}", admin=True, language="en"
    )
    ada = await actor_for_staff(admin)
    bistro = await create_record(ada, "company", {"title": "Bistro Moreau"})
    # Claire's landline also holds the digits 12 34 56: the search shows two kinds of match.
    await create_contact(
        ada,
        {
            "first_name": "Claire",
            "last_name": "Moreau",
            "phones": ["01 45 12 34 56"],
            "emails": ["claire@bistro-moreau.example"],
            "companies": [bistro.pk],
            "position": "Owner",
        },
    )
    await create_contact(
        ada,
        {
            "first_name": "Hugo",
            "last_name": "Bernard",
            "phones": ["+44 20 7946 0958"],
            "emails": ["hugo.bernard@example.co.uk"],
        },
    )
    return admin


# 2. The hosted web form


@asynccontextmanager
async def serve_web_app() -> AsyncIterator[str]:
    """The real web app on a free 127.0.0.1 port; yields its base URL."""
    runner = web.AppRunner(build_app(FormsConfig(secret="screenshots-only-secret")))
    await runner.setup()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's Chromium driven by Playwright (no browser download)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=SCREENSHOT_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def shoot_form(
    browser: Any,
    base_url: str,
    out: Path,
    language: str,
    viewport: Viewport,
    slug: str = "contact",
) -> Path:
    """One full-page screenshot of the hosted form, filled in as a visitor would."""
    context = await browser.new_context(
        locale=LOCALES[language],
        viewport={"width": viewport.width, "height": viewport.height},
        device_scale_factor=viewport.scale,
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
    )
    try:
        page = await context.new_page()
        await page.goto(f"{base_url}/forms/{slug}")
        await page.wait_for_selector("form button[type=submit], form button")
        for name, value in VISITOR[language].items():
            await page.locator(f'[name="{name}"]').fill(value)
        await page.locator('input[type="checkbox"]').first.check()
        await page.evaluate("document.activeElement && document.activeElement.blur()")
        path = out / f"form-{viewport.name}-{language}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path
    finally:
        await context.close()


async def shoot_forms(browser: Any, base_url: str, out: Path) -> list[Path]:
    """The form in English and French, on a desktop and on a phone."""
    return [
        await shoot_form(browser, base_url, out, language, viewport)
        for language in ("en", "fr")
        for viewport in (DESKTOP, PHONE)
    ]


# 3. A conversation with the bot


async def record_conversation(
    scenes: dict[str, list[str]] = SCENES,
) -> dict[str, list[dict[str, Any]]]:
    """Ada talks to the real bot through the Bot API stand-in; the chat's messages per scene.

    The admin must exist (see `seed`). Messages are as the stand-in holds them: the text
    Telegram would show, its entities, the inline keyboard, edits applied.
    """
    recorded: dict[str, list[dict[str, Any]]] = {}
    async with TelegramStub() as stub:
        service = TelegramService(
            BotConfig(token="42:TEST", api_url=stub.url, handle_as_tasks=False, polling_timeout=1)
        )
        await service.start()
        try:
            await stub.wait_for_call("getUpdates")
            ada = stub.user(ADMIN_TELEGRAM_ID, ADMIN_FIRST, ADMIN_LAST, language_code="en")
            seen = 0
            for name, texts in scenes.items():
                for text in texts:
                    await ada.send(text)
                messages = stub.messages(ADMIN_TELEGRAM_ID)
                recorded[name] = [m for m in messages if m["message_id"] > seen]
                seen = max((m["message_id"] for m in messages), default=seen)
        finally:
            await service.stop()
    return recorded


# Telegram entity types → the tags that show them; everything else shows as plain text.
_ENTITY_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ("<blockquote>", "</blockquote>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
}
_LINK_TYPES = {"text_link", "url", "mention", "bot_command", "email", "phone_number", "hashtag"}


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _slice(units: bytes, start: int, end: int) -> str:
    """Text between two UTF-16 offsets (Telegram counts entities in UTF-16 code units)."""
    return units[2 * start : 2 * end].decode("utf-16-le")


def _tags(entity: dict[str, Any]) -> tuple[str, str]:
    if entity.get("type") in _LINK_TYPES:
        return '<span class="link">', "</span>"
    return _ENTITY_TAGS.get(str(entity.get("type")), ("", ""))


def _render(units: bytes, entities: Sequence[dict[str, Any]], start: int, end: int) -> str:
    """Escaped text from `start` to `end` with the entities inside it as tags (they nest)."""
    out, pos, i = [], start, 0
    while i < len(entities):
        entity = entities[i]
        e_start, e_end = entity["offset"], entity["offset"] + entity["length"]
        inner = []
        for other in entities[i + 1 :]:
            if other["offset"] + other["length"] > e_end or other["offset"] >= e_end:
                break
            inner.append(other)
        i += 1 + len(inner)
        if e_start < pos or e_end > end:  # overlapping entities: Telegram HTML never makes them
            continue
        opening, closing = _tags(entity)
        out.append(html.escape(_slice(units, pos, e_start)))
        out.append(opening + _render(units, inner, e_start, e_end) + closing)
        pos = e_end
    out.append(html.escape(_slice(units, pos, end)))
    return "".join(out)


def message_html(text: str, entities: Sequence[dict[str, Any]] = ()) -> str:
    """A message's text as HTML: every character escaped, formatting only from its entities."""
    units = _utf16(text)
    ordered = sorted(entities, key=lambda e: (e["offset"], -e["length"]))
    return _render(units, ordered, 0, len(units) // 2)


def _keyboard(markup: dict[str, Any] | None) -> str:
    rows = (markup or {}).get("inline_keyboard") or []
    if not rows:
        return ""
    lines = [
        '<div class="row">'
        + "".join(f'<span class="button">{html.escape(str(b["text"]))}</span>' for b in row)
        + "</div>"
        for row in rows
    ]
    return '<div class="keyboard">' + "".join(lines) + "</div>"


def _bubble(message: dict[str, Any]) -> str:
    outgoing = not message["from"].get("is_bot")
    text = message_html(message.get("text") or "", message.get("entities") or [])
    time = datetime.fromtimestamp(message["date"], UTC).strftime("%H:%M")
    side = "out" if outgoing else "in"
    ticks = ' <span class="ticks">✓✓</span>' if outgoing else ""
    return (
        f'<div class="msg {side}"><div class="bubble"><div class="text">{text}'
        f'<span class="time">{time}{ticks}</span></div></div>'
        f"{_keyboard(message.get('reply_markup'))}</div>"
    )


CHAT_CSS = """
*{box-sizing:border-box}
html,body{margin:0}
body{font:15px/1.4 "Noto Sans","DejaVu Sans","Liberation Sans",system-ui,sans-serif,
"Noto Color Emoji";color:#000;
background:linear-gradient(165deg,#d6e6bf 0%,#b5d0a6 55%,#9ec39a 100%);
width:__WIDTH__px;min-height:100vh}
header{display:flex;align-items:center;gap:10px;padding:9px 14px;background:#fff;
box-shadow:0 1px 2px rgba(0,0,0,.12)}
.avatar{width:40px;height:40px;border-radius:50%;background:linear-gradient(#6ec3f2,#3a95d8);
color:#fff;font-weight:700;font-size:18px;display:flex;align-items:center;justify-content:center}
.title{font-weight:600;font-size:16px}.sub{color:#707579;font-size:13px}
.messages{padding:10px 8px 14px;display:flex;flex-direction:column;gap:6px}
.msg{display:flex;flex-direction:column;max-width:88%}
.msg.in{align-self:flex-start}.msg.out{align-self:flex-end}
.bubble{padding:6px 9px 7px 10px;border-radius:14px;box-shadow:0 1px 1px rgba(0,0,0,.14)}
.in .bubble{background:#fff;border-bottom-left-radius:5px}
.out .bubble{background:#e3fbcf;border-bottom-right-radius:5px}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.time{float:right;margin:6px 0 -4px 10px;font-size:11.5px;color:#8a9aa6;line-height:1.6}
.out .time{color:#4fae4e}.ticks{letter-spacing:-4px;margin-right:3px}
.link{color:#2481cc}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:13.5px;color:#b14a5b}
pre{margin:2px 0;white-space:pre-wrap}
blockquote{margin:2px 0;padding:1px 8px;border-left:3px solid #3390ec;background:#eef5fd;
border-radius:4px}
.spoiler{background:#d0d6db;color:transparent;border-radius:3px}
.keyboard{display:flex;flex-direction:column;gap:4px;margin-top:4px}
.row{display:flex;gap:4px}
.button{flex:1 1 0;min-width:0;padding:8px 6px;border-radius:9px;text-align:center;
color:#fff;font-weight:500;font-size:14px;background:rgba(64,96,60,.42);
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
"""


def chat_page(messages: Sequence[dict[str, Any]], bot_name: str = "Carnet") -> str:
    """A self-contained page drawing a private chat like a Telegram client does."""
    name = html.escape(bot_name)
    bubbles = "\n".join(_bubble(m) for m in messages)
    css = CHAT_CSS.replace("__WIDTH__", str(CHAT_WIDTH))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{name}</title><style>{css}</style></head><body>"
        f'<header><div class="avatar">{name[:1]}</div>'
        f'<div><div class="title">{name}</div><div class="sub">bot</div></div></header>'
        f'<div class="messages">\n{bubbles}\n</div></body></html>'
    )


async def shoot_chat(browser: Any, messages: Sequence[dict[str, Any]], path: Path) -> Path:
    """A full-page screenshot of `chat_page(messages)`, phone-wide."""
    context = await browser.new_context(
        viewport={"width": CHAT_WIDTH, "height": 300}, device_scale_factor=2
    )
    try:
        page = await context.new_page()
        await page.set_content(chat_page(messages), wait_until="load")
        await page.screenshot(path=str(path), full_page=True)
        return path
    finally:
        await context.close()


# 4. Everything, into a folder


async def make_screenshots(out: Path = OUT) -> list[Path]:
    """Every README screenshot into the folder `out`, given a migrated, connected, empty
    database; returns the files written."""
    await seed()
    conversation = await record_conversation()
    async with chromium() as browser:
        async with serve_web_app() as base_url:
            paths = await shoot_forms(browser, base_url, out)
        for name, messages in conversation.items():
            paths.append(await shoot_chat(browser, messages, out / f"{name}.png"))
    return paths


async def main(out: Path) -> list[Path]:
    """A throwaway SQLite database with every migration and first-start defaults, then shots."""
    config.configure(config.CoreConfig(default_phone_region="FR"))
    with tempfile.TemporaryDirectory(prefix="carnet-screenshots-") as tmp:
        url = f"sqlite://{Path(tmp) / 'screenshots.sqlite3'}"
        await migrate(config=tortoise_config(url))
        await Tortoise.close_connections()
        await Tortoise.init(config=tortoise_config(url))
        try:
            await ensure_defaults()
            return await make_screenshots(out)
        finally:
            await Tortoise.close_connections()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m docs.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not EMOJI_FONT.exists():
        log.warning("%s is missing: emoji will show as boxes", EMOJI_FONT)
    for written in asyncio.run(main(args.out)):
        sys.stdout.write(f"{written} ({written.stat().st_size // 1024} KiB)\n")

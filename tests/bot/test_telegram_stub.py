"""The fake Telegram Bot API (tests/telegram_stub.py) driven by a real aiogram Bot over HTTP."""

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultUnion,
    InputTextMessageContent,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.telegram_stub import HtmlError, TelegramStub, html_to_plain, parse_html

ALICE = 1001


def kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """An inline keyboard of callback buttons given as (text, data) rows."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t, callback_data=d) for t, d in row] for row in rows
        ]
    )


def get_router() -> Router:
    """A tiny bot: /start with buttons, callbacks, echo, contact, forward, files, inline."""
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        assert message.from_user is not None
        markup = kb([("Open card", "open:7")])
        markup.inline_keyboard[0].append(InlineKeyboardButton(text="Site", url="https://x.org"))
        name = html.quote(message.from_user.first_name)
        await message.answer(f"Hello, <b>{name}</b> &amp; co", reply_markup=markup)

    @router.message(Command("export"))
    async def export(message: Message) -> None:
        csv = BufferedInputFile(b"name,phone\nJean,+33612345678\n", filename="export.csv")
        await message.answer_document(csv, caption="<b>Export</b>")

    @router.message(F.text == "ping")
    async def ping(message: Message) -> SendMessage:
        return message.answer("pong")  # answered in the webhook response when possible

    @router.callback_query(F.data.startswith("open:"))
    async def open_card(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message) and query.data is not None
        await query.message.edit_text(
            f"Card <i>{query.data[5:]}</i>", reply_markup=kb([("Back", "back")])
        )
        await query.answer("Opened")

    @router.callback_query()
    async def other(query: CallbackQuery) -> None:
        await query.answer(f"Unknown: {query.data}", show_alert=True)

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        c = message.contact
        await message.answer(f"Contact {c.first_name} {c.last_name} {c.phone_number}")

    @router.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        data = await bot.download(message.document)
        assert isinstance(data, io.BytesIO)
        content = data.getvalue()
        first = content.decode().splitlines()[0]
        name = message.document.file_name or ""
        await message.answer(f"{html.quote(name)}: {len(content)} bytes, {html.quote(first)}")

    @router.message(F.forward_origin)
    async def forwarded(message: Message) -> None:
        origin = message.forward_origin
        if isinstance(origin, MessageOriginUser):
            who = f"{origin.sender_user.full_name} ({origin.sender_user.id})"
        else:
            assert isinstance(origin, MessageOriginHiddenUser)
            who = f"hidden {origin.sender_user_name}"
        await message.answer(f"Forwarded from {html.quote(who)}: {html.quote(message.text or '')}")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(html.quote(message.text or ""))

    @router.inline_query()
    async def inline(query: InlineQuery) -> None:
        results: list[InlineQueryResultUnion] = [
            InlineQueryResultArticle(
                id=f"c{i}",
                title=f"{query.query.title()} {i}",
                input_message_content=InputTextMessageContent(
                    message_text=f"<b>{html.quote(query.query)}</b> #{i}"
                ),
            )
            for i in range(3)
        ]
        await query.answer(results, cache_time=5, is_personal=True, next_offset="3")

    return router


@pytest.fixture
async def stub() -> AsyncIterator[TelegramStub]:
    async with TelegramStub(timeout=5) as s:
        yield s


@pytest.fixture
async def bot(stub: TelegramStub) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(stub.url))
    bot = Bot("42:TEST", session=session, default=DefaultBotProperties(parse_mode="HTML"))
    yield bot
    await bot.session.close()


@pytest.fixture
async def polling(stub: TelegramStub, bot: Bot) -> AsyncIterator[Dispatcher]:
    dp = Dispatcher()
    dp.include_router(get_router())
    task = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_as_tasks=False,
            polling_timeout=1,
            handle_signals=False,
            close_bot_session=False,
        )
    )
    await stub.wait_for_call("getUpdates")
    yield dp
    await dp.stop_polling()
    await task


# HTML parsing


def test_html_parser_entities_and_utf16_offsets() -> None:
    text, entities = parse_html(
        '😀 <b>bold <i>both</i></b> &lt;x&gt; &#33;&#x21; <a href="https://x.org/?a=1&b=2">l</a>'
        ' <pre><code class="language-python">p</code></pre>'
        ' <span class="tg-spoiler">s</span> <blockquote expandable>q</blockquote>'
    )
    assert text == "😀 bold both <x> !! l p s q"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "offset": 20, "length": 1, "url": "https://x.org/?a=1&b=2"},
        {"type": "pre", "offset": 22, "length": 1, "language": "python"},
        {"type": "spoiler", "offset": 24, "length": 1},
        {"type": "expandable_blockquote", "offset": 26, "length": 1},
    ]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<x>hi</x>", 'Unsupported start tag "x" at byte offset 0'),
        ("a <br/> b", 'Unsupported start tag "br/" at byte offset 2'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("é & co", 'Character "&" at byte offset 3 must be escaped as "&amp;"'),
        ("&nbsp;", 'Character "&" at byte offset 0 must be escaped as "&amp;"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a>x</a>", 'Tag "a" must have attribute "href" at byte offset 0'),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 16"),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
def test_html_parser_refuses_like_telegram(text: str, error: str) -> None:
    with pytest.raises(HtmlError) as exc:
        parse_html(text)
    assert str(exc.value) == error


def test_html_to_plain_is_lenient() -> None:
    assert html_to_plain("<b>A</b> &amp; B & C") == "A & B & C"
    assert html_to_plain("<x>y</x> &amp;") == "y &"


# Bot API checks, through a real aiogram Bot


async def test_escaped_user_text_is_accepted_and_raw_html_refused(
    stub: TelegramStub, bot: Bot
) -> None:
    stub.user(ALICE, "Alice")
    sent = await bot.send_message(ALICE, html.quote("<b>x</b> & <i>"))
    assert sent.text == "<b>x</b> & <i>"
    assert sent.message_id == 1 and sent.chat.first_name == "Alice"
    assert sent.from_user is not None and sent.from_user.username == "carnet_test_bot"
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(ALICE, "<b>x & <i>")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "script"'):
        await bot.send_message(ALICE, "<script>")
    assert (await bot.send_message(ALICE, "<b>x & <i>", parse_mode=None)).text == "<b>x & <i>"
    bold = await bot.send_message(ALICE, "  <b>Jean</b> Dupont ")
    assert bold.text == "Jean Dupont" and bold.html_text == "<b>Jean</b> Dupont"
    assert [c.status for c in stub.calls] == [200, 400, 400, 200, 200]


async def test_text_length_is_counted_after_parsing_in_utf16(stub: TelegramStub, bot: Bot) -> None:
    stub.user(ALICE, "Alice")
    await bot.send_message(ALICE, "<b>" + "a" * 4096 + "</b>")
    await bot.send_message(ALICE, "&lt;" * 4096)
    for too_long in ("a" * 4097, "😀" * 2049):
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(ALICE, too_long)
    for empty in (" \n ", "<b> </b>"):
        with pytest.raises(TelegramBadRequest, match="message text is empty"):
            await bot.send_message(ALICE, empty)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(999, "who?")


async def test_inline_keyboard_limits(stub: TelegramStub, bot: Bot) -> None:
    stub.user(ALICE, "Alice")
    sent = await bot.send_message(ALICE, "ok", reply_markup=kb([("A", "x" * 64)]))
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "x" * 64
    bad = {
        "BUTTON_DATA_INVALID": kb([("A", "é" * 33)]),
        "BUTTONS_TOO_MUCH": kb([(str(i), str(i)) for i in range(9)]),
        "BUTTON_TYPE_INVALID": InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="A")]]
        ),
    }
    for error, markup in bad.items():
        with pytest.raises(TelegramBadRequest, match=error):
            await bot.send_message(ALICE, "no", reply_markup=markup)
    rows = [[(f"{r}.{c}", f"{r}.{c}") for c in range(8)] for r in range(12)]
    await bot.send_message(ALICE, "96 buttons", reply_markup=kb(*rows))
    with pytest.raises(TelegramBadRequest, match="BUTTONS_TOO_MUCH"):
        await bot.send_message(ALICE, "104", reply_markup=kb(*rows, [("x", "x")] * 8))


async def test_edits_deletes_and_not_modified(stub: TelegramStub, bot: Bot) -> None:
    stub.user(ALICE, "Alice")
    sent = await bot.send_message(ALICE, "<b>v1</b>", reply_markup=kb([("A", "a")]))
    with pytest.raises(TelegramBadRequest, match="message is not modified: specified new"):
        await bot.edit_message_text(
            "<b>v1</b>", chat_id=ALICE, message_id=sent.message_id, reply_markup=kb([("A", "a")])
        )
    await bot.edit_message_text("v1", chat_id=ALICE, message_id=sent.message_id)  # entity gone
    assert stub.messages(ALICE)[0].get("reply_markup") is None  # keyboard dropped with it
    edited = await bot.edit_message_reply_markup(
        chat_id=ALICE, message_id=sent.message_id, reply_markup=kb([("B", "b")])
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE, message_id=99)
    assert await bot.delete_message(ALICE, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ALICE, sent.message_id)
    assert stub.messages(ALICE) == []


async def test_injected_failures_and_blocked_users(stub: TelegramStub, bot: Bot) -> None:
    stub.user(ALICE, "Alice")
    stub.fail_next("sendMessage", code=429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(ALICE, "hi")
    assert retry.value.retry_after == 3
    stub.fail_next("sendMessage", code=502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(ALICE, "hi")
    await bot.send_message(ALICE, "hi")
    stub.block(ALICE)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "hi")
    stub.unblock(ALICE)
    await bot.send_chat_action(ALICE, "typing")
    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot.send_photo(ALICE, "https://x.org/a.png")
    assert [(c.method, c.status) for c in stub.calls_of("sendMessage")] == [
        ("sendMessage", 429), ("sendMessage", 502), ("sendMessage", 502),
        ("sendMessage", 200), ("sendMessage", 403),
    ]  # fmt: skip


async def test_commands_menu_button_webhook_info_and_old_queries(
    stub: TelegramStub, bot: Bot
) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.supports_inline_queries) == (42, "carnet_test_bot", True)
    commands = [BotCommand(command="start", description="Start")]
    await bot.set_my_commands(commands)
    await bot.set_my_commands(
        commands[:0], scope=BotCommandScopeChat(chat_id=7), language_code="fr"
    )
    assert stub.commands == {
        ("default", ""): [{"command": "start", "description": "Start"}],
        ("chat:7", "fr"): [],
    }
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [("start", "Start")]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    assert await bot.set_chat_menu_button()
    assert (await bot.get_webhook_info()).url == ""
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("nope")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_inline_query("nope", [])


async def test_get_updates_offsets_long_poll_and_allowed_updates(
    stub: TelegramStub, bot: Bot
) -> None:
    first = stub.enqueue(
        {"message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}}}
    )
    assert [u.update_id for u in await bot.get_updates()] == [first.update_id]
    assert [u.update_id for u in await bot.get_updates()] == [first.update_id]  # not yet acked
    poll = asyncio.create_task(bot.get_updates(offset=first.update_id + 1, timeout=5))
    await stub.wait_for_call("getUpdates")
    second = stub.enqueue({"inline_query": {"id": "q", "from": {"id": 5, "is_bot": False,
                           "first_name": "E"}, "query": "", "offset": ""}})  # fmt: skip
    updates = await asyncio.wait_for(poll, 2)
    assert [u.update_id for u in updates] == [second.update_id]
    assert first.processed and not second.processed  # acknowledged by the offset
    third = stub.enqueue({"callback_query": {"id": "c", "from": {"id": 5, "is_bot": False,
                          "first_name": "E"}, "chat_instance": "i", "data": "d"}})  # fmt: skip
    got = await bot.get_updates(offset=second.update_id, allowed_updates=["inline_query"])
    assert [u.update_id for u in got] == [second.update_id]
    assert third.processed  # Telegram drops the types the bot did not ask for
    assert await bot.get_updates(offset=second.update_id + 1) == []
    await stub.wait_idle()


async def test_an_update_nobody_processes_fails_clearly(stub: TelegramStub) -> None:
    stub.timeout = 0.2
    with pytest.raises(AssertionError, match="did not call getUpdates with offset > 1"):
        await stub.user(ALICE, "Alice").send("/start")


# Conversation driver, with a real Dispatcher polling the stub


async def test_driver_text_click_and_answers(stub: TelegramStub, polling: Dispatcher) -> None:
    alice = stub.user(ALICE, "Alice", username="alice")
    replies = await alice.send("/start")
    assert [o.method for o in replies] == ["sendMessage"]
    hello = replies[-1]
    assert hello.text == "Hello, <b>Alice</b> &amp; co" and hello.text_plain == "Hello, Alice & co"
    assert hello.message_id == 2  # the user's /start was message 1
    assert hello.button_texts == ["Open card", "Site"]
    assert hello.buttons[0][1].url == "https://x.org"

    r = await alice.click(hello, "Open")
    assert [o.method for o in r] == ["editMessageText", "answerCallbackQuery"]
    assert r.answer_text == "Opened" and r.texts == ["Card 7"]
    assert stub.messages(ALICE)[-1]["text"] == "Card 7"
    with pytest.raises(AssertionError, match=r"0 buttons match 'Open' .*\['Back'\]"):
        await alice.click(hello, "Open")  # the edit replaced the keyboard
    r = await alice.click(hello, "Back")
    assert r.answer is not None and r.answer.params["show_alert"] == "true"
    assert r.answer_text == "Unknown: back"
    forged = await alice.click_raw(hello.message_id or 0, "forged:data")
    assert forged.answer_text == "Unknown: forged:data"
    ghost = await alice.click_raw(99, "x")
    assert ghost.answer_text == "Unknown: x"

    echoed = await alice.send('<b>hi</b> & [1, 2] {"a": 1}')
    assert echoed.texts == ['<b>hi</b> & [1, 2] {"a": 1}']
    assert (await alice.send("ping")).texts == ["pong"]


async def test_driver_inline_contact_forward_and_files(
    stub: TelegramStub, polling: Dispatcher
) -> None:
    alice = stub.user(ALICE, "Alice")
    res = await alice.inline("dupont")
    assert res.answered and res.titles == ["Dupont 0", "Dupont 1", "Dupont 2"]
    assert (res.next_offset, res.is_personal, res.cache_time) == ("3", True, 5)
    assert res.results[0]["input_message_content"]["message_text"] == "<b>dupont</b> #0"

    r = await alice.share_contact(
        phone_number="+33612345678", first_name="Jean", last_name="Dupont"
    )
    assert r.texts == ["Contact Jean Dupont +33612345678"]
    jean = {"id": 555, "first_name": "Jean", "last_name": "Dupont", "username": "jdupont"}
    assert (await alice.forward("hello", from_user=jean)).texts == [
        "Forwarded from Jean Dupont (555): hello"
    ]
    hidden = await alice.forward("yo", sender_user_name="J. D.")
    assert hidden.texts == ["Forwarded from hidden J. D.: yo"]

    vcard = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jean Dupont\r\nEND:VCARD\r\n"
    r = await alice.send_document("contacts.vcf", vcard, mime_type="text/vcard")
    assert r.texts == [f"contacts.vcf: {len(vcard)} bytes, BEGIN:VCARD"]

    exported = (await alice.send("/export"))[-1]
    assert exported.method == "sendDocument" and exported.text_plain == "Export"
    assert exported.document_name == "export.csv"
    assert exported.document_bytes == b"name,phone\nJean,+33612345678\n"
    assert exported.params["document"].startswith("attach://")
    assert stub.messages(ALICE)[-1]["document"]["mime_type"] == "text/csv"


async def test_driver_without_waiting(stub: TelegramStub, polling: Dispatcher) -> None:
    users = [stub.user(2000 + i, f"U{i}") for i in range(3)]
    pending = [await u.send(f"msg {u.id}", wait=False) for u in users]
    assert all(len(p) == 0 for p in pending)
    await stub.wait_idle()
    assert [p.texts for p in pending] == [[f"msg {u.id}"] for u in users]
    assert [[m["message_id"] for m in stub.messages(u.id)] for u in users] == [[1, 2]] * 3


# Webhook mode, with aiogram's SimpleRequestHandler


@pytest.fixture
async def webhook_url(bot: Bot) -> AsyncIterator[str]:
    dp = Dispatcher()
    dp.include_router(get_router())
    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="s3cret", handle_in_background=False).register(
        app, path="/tg"
    )
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
    await runner.cleanup()


async def test_webhook_delivery_and_secret(stub: TelegramStub, bot: Bot, webhook_url: str) -> None:
    alice = stub.user(ALICE, "Alice")
    assert await bot.set_webhook(webhook_url, secret_token="s3cret", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert (info.url, info.allowed_updates) == (webhook_url, ["message"])
    assert stub.webhook is not None and stub.webhook.secret_token == "s3cret"
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()

    replies = await alice.send("/start")
    assert replies.status == 200 and replies.texts == ["Hello, Alice & co"]
    pong = await alice.send("ping")  # the handler's method comes back in the HTTP response
    assert pong.texts == ["pong"] and pong[0].params["chat_id"] == str(ALICE)
    dropped = await alice.inline("x")  # not in allowed_updates
    assert not dropped.answered and dropped.outputs.status is None

    stub.use_webhook(webhook_url, "wrong")
    refused = await alice.send("/start")
    assert refused.status == 401 and list(refused) == []
    assert "401" in (stub.webhook.last_error_message or "")

    assert await bot.delete_webhook()
    assert stub.webhook is None

"""/settings → Card layout (F5): sections and their fields; hide, reorder, move, add a section."""

import html
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.handlers.settings.dialog import (
    TYPED,
    MenuScreen,
    SettingsMenu,
    ask,
    finish,
    show,
    typed_text,
)
from bot.messages import query_message
from bot.render import field_label, shorten
from bot.ui import (
    NAME_WIDTH,
    PAGE_SIZE,
    Screen,
    back,
    button,
    grid,
    markup,
    nav,
    page_of,
    page_title,
    with_notice,
)
from crm import layout
from crm.actors import Actor
from crm.i18n import Markup, Translator, escape
from crm.layout import LayoutView, SectionView
from crm.permissions import require_settings

MOVE_TO_WIDTH = 40  # the section's name in "Move to <section>", within BUTTON_WIDTH
MAX_TARGETS = 90  # sections offered to move a field to: within 100 buttons
# Each section's field list is cut so that the whole text stays within one message.
LAYOUT_TEXT_BUDGET = 3000
MIN_SECTION_BUDGET = 200


class LayoutStep(StrEnum):
    SECTION = "sec"  # open section `section_id` at `page`
    FIELD = "fld"  # open placement `placement_id`
    HIDE = "hide"  # set `hidden`
    UP = "up"
    DOWN = "down"
    MOVE_TO = "to"  # into section `section_id`
    ADD_SECTION = "add"


class LayoutAction(CallbackData, prefix="sl"):
    action: LayoutStep
    placement_id: int = 0
    section_id: int = 0
    hidden: bool = False
    page: int = 0


class SectionForm(StatesGroup):
    title = State()


def _section_title(t: Translator, section: SectionView) -> str:
    return section.title_fr if t.language == "fr" and section.title_fr else section.title


def _label(t: Translator, view: LayoutView, field: str, hidden: bool = False) -> str:
    """A field's label as HTML (escaped), marked when hidden."""
    label = field_label(t, field, view.custom)
    return t("settings-layout-hidden", label=Markup(label)) if hidden else label


def _plain_label(t: Translator, view: LayoutView, field: str) -> str:
    """A field's label for a button (buttons are plain text, not HTML)."""
    return html.unescape(field_label(t, field, view.custom))


def layout_screen(t: Translator, view: LayoutView, page: int, notice: str = "") -> Screen:
    shown, page, pages = page_of(view.sections, page)
    blocks = [page_title(t, t("settings-layout-title"), page, pages)]
    budget = max(MIN_SECTION_BUDGET, LAYOUT_TEXT_BUDGET // max(1, len(shown)))
    for section in shown:
        labels = [_label(t, view, f.field, f.hidden) for f in section.fields]
        joined = ""
        for index, label in enumerate(labels):
            candidate = f"{joined} · {label}" if joined else label
            if len(candidate) > budget:
                joined += t("settings-layout-more", count=len(labels) - index)
                break
            joined = candidate
        title = escape(shorten(_section_title(t, section), NAME_WIDTH))
        blocks.append(f"\n<b>{title}</b>\n{joined or t('none')}")
    rows = grid(
        [
            button(_section_title(t, s), LayoutAction(action=LayoutStep.SECTION, section_id=s.id))
            for s in shown
        ]
    )
    rows += nav(t, page, pages, lambda p: SettingsMenu(screen=MenuScreen.LAYOUT, page=p))
    add = LayoutAction(action=LayoutStep.ADD_SECTION)
    rows.append([button(t.plain("settings-btn-add-section"), add)])
    rows.append(back(t, SettingsMenu(screen=MenuScreen.HOME)))
    return with_notice(notice, "\n".join(blocks)), markup(rows)


def section_screen(t: Translator, view: LayoutView, section: SectionView, page: int) -> Screen:
    shown, page, pages = page_of(section.fields, page)
    title = t("settings-section-title", title=shorten(_section_title(t, section), NAME_WIDTH))
    lines = [page_title(t, title, page, pages)]
    first = page * PAGE_SIZE
    lines += [f"{first + i + 1}. {_label(t, view, f.field, f.hidden)}" for i, f in enumerate(shown)]
    if not section.fields:
        lines.append(t("settings-section-empty"))
    buttons = [
        button(
            f"{first + i + 1}. " + ("🚫 " if f.hidden else "") + _plain_label(t, view, f.field),
            LayoutAction(action=LayoutStep.FIELD, placement_id=f.id),
        )
        for i, f in enumerate(shown)
    ]
    rows = grid(buttons)
    rows += nav(
        t,
        page,
        pages,
        lambda p: LayoutAction(action=LayoutStep.SECTION, section_id=section.id, page=p),
    )
    rows.append(back(t, SettingsMenu(screen=MenuScreen.LAYOUT)))
    return "\n".join(lines), markup(rows)


def layout_field_screen(t: Translator, view: LayoutView, placement_id: int) -> Screen:
    section, index = view.find(placement_id)
    placed = section.fields[index]
    text = t(
        "settings-layout-field",
        label=Markup(field_label(t, placed.field, view.custom)),
        section=shorten(_section_title(t, section), NAME_WIDTH),
        position=index + 1,
        total=len(section.fields),
        hidden=placed.hidden,
    )

    def act(step: LayoutStep, section_id: int = 0, hidden: bool = False) -> LayoutAction:
        return LayoutAction(
            action=step, placement_id=placed.id, section_id=section_id, hidden=hidden
        )

    hide_key = "settings-btn-show" if placed.hidden else "settings-btn-hide"
    rows = [
        [button(t.plain(hide_key), act(LayoutStep.HIDE, hidden=not placed.hidden))],
        [
            button(t.plain("settings-btn-up"), act(LayoutStep.UP)),
            button(t.plain("settings-btn-down"), act(LayoutStep.DOWN)),
        ],
    ]
    others = [s for s in view.sections if s.id != section.id][:MAX_TARGETS]
    rows += [
        [
            button(
                t.plain(
                    "settings-btn-move-to", section=shorten(_section_title(t, s), MOVE_TO_WIDTH)
                ),
                act(LayoutStep.MOVE_TO, section_id=s.id),
            )
        ]
        for s in others
    ]
    section_page = LayoutAction(
        action=LayoutStep.SECTION, section_id=section.id, page=index // PAGE_SIZE
    )
    rows.append(back(t, section_page))
    return text, markup(rows)


async def on_layout(
    query: CallbackQuery, callback_data: SettingsMenu, actor: Actor, t: Translator
) -> None:
    await show(query, layout_screen(t, await layout.layout_view(actor), callback_data.page))


async def on_section(
    query: CallbackQuery, callback_data: LayoutAction, actor: Actor, t: Translator
) -> None:
    view = await layout.layout_view(actor)
    section = view.section(callback_data.section_id)
    await show(query, section_screen(t, view, section, callback_data.page))


async def on_layout_field(
    query: CallbackQuery, callback_data: LayoutAction, actor: Actor, t: Translator
) -> None:
    view = await layout.layout_view(actor)
    await show(query, layout_field_screen(t, view, callback_data.placement_id))


async def on_layout_change(
    query: CallbackQuery, callback_data: LayoutAction, actor: Actor, t: Translator
) -> None:
    """Hide/show, up, down or to another section; then the field's screen again."""
    placement_id = callback_data.placement_id
    if callback_data.action == LayoutStep.HIDE:
        await layout.set_hidden(actor, placement_id, callback_data.hidden)
    elif callback_data.action == LayoutStep.MOVE_TO:
        await layout.move_field_to(actor, placement_id, callback_data.section_id)
    else:
        offset = -1 if callback_data.action == LayoutStep.UP else 1
        await layout.move_field(actor, placement_id, offset)
    view = await layout.layout_view(actor)
    await show(query, layout_field_screen(t, view, placement_id))


async def on_section_add(
    query: CallbackQuery, actor: Actor, t: Translator, state: FSMContext
) -> None:
    require_settings(actor)  # the core refuses before the question, not after the answer
    await query.answer()
    await ask(query_message(query), state, SectionForm.title, t("settings-section-prompt"))


async def process_section_title(
    message: Message, actor: Actor, t: Translator, state: FSMContext
) -> None:
    section = await layout.add_section(actor, typed_text(message))
    await finish(state)
    view = await layout.layout_view(actor)
    notice = t("settings-section-added", title=section.title)
    text, keyboard = layout_screen(t, view, (len(view.sections) - 1) // PAGE_SIZE, notice)
    await message.answer(text, reply_markup=keyboard)


def get_router() -> Router:
    router = Router(name="settings.layout")
    router.message.register(process_section_title, SectionForm.title, *TYPED)
    cb = router.callback_query
    cb.register(on_layout, SettingsMenu.filter(F.screen == MenuScreen.LAYOUT))
    actions = LayoutAction.filter
    cb.register(on_section, actions(F.action == LayoutStep.SECTION))
    cb.register(on_layout_field, actions(F.action == LayoutStep.FIELD))
    changes = {LayoutStep.HIDE, LayoutStep.UP, LayoutStep.DOWN, LayoutStep.MOVE_TO}
    cb.register(on_layout_change, actions(F.action.in_(changes)))
    cb.register(on_section_add, actions(F.action == LayoutStep.ADD_SECTION))
    return router

"""The bot's shared widgets: one button width, and every text width named."""

import ast
from pathlib import Path

from aiogram.filters.callback_data import CallbackData

import bot
from bot.render import shorten
from bot.ui import BUTTON_WIDTH, button

BOT_DIR = Path(bot.__file__).parent


class Press(CallbackData, prefix="t"):
    id: int


def literal_widths(source: str) -> list[int]:
    """Lines where `shorten` (bare or as an attribute) is given a width with a number in it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if name != "shorten":
            continue
        widths = node.args[1:] + [k.value for k in node.keywords if k.arg == "limit"]
        if any(
            isinstance(part, ast.Constant) and isinstance(part.value, int | float)
            for width in widths
            for part in ast.walk(width)
        ):
            found.append(node.lineno)
    return found


def test_the_check_finds_literal_widths_and_lets_named_ones_pass():
    source = """
shorten(a, 60)
render.shorten(b, limit=40)
shorten(c, WIDTH - 2)
shorten(d, WIDTH)
render.shorten(e, ui.NAME_WIDTH)
"""
    assert literal_widths(source) == [2, 3, 4]


def test_no_module_in_bot_cuts_text_to_a_literal_width():
    offenders = [
        f"{path.relative_to(BOT_DIR.parent)}:{line}"
        for path in sorted(BOT_DIR.rglob("*.py"))
        for line in literal_widths(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_shared_button_cuts_its_label_at_button_width():
    made = button("x" * (BUTTON_WIDTH + 20), Press(id=7))
    assert made.text == shorten("x" * (BUTTON_WIDTH + 20), BUTTON_WIDTH)
    assert len(made.text) == BUTTON_WIDTH
    assert made.text.endswith("…")
    assert made.callback_data == Press(id=7).pack()


def test_the_shared_button_keeps_a_label_of_button_width_whole():
    label = "y" * BUTTON_WIDTH
    assert button(label, Press(id=1)).text == label


def test_no_module_in_bot_but_ui_names_a_button_width():
    others = [
        f"{path.relative_to(BOT_DIR.parent)}: {target.id}"
        for path in sorted(BOT_DIR.rglob("*.py"))
        if path != BOT_DIR / "ui.py"
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and "BUTTON" in target.id
    ]
    assert others == []


def test_no_module_in_bot_but_ui_makes_an_inline_button_itself():
    """Every label goes through ui.button, so none escapes BUTTON_WIDTH."""
    makers = [
        f"{path.relative_to(BOT_DIR.parent)}:{node.lineno}"
        for path in sorted(BOT_DIR.rglob("*.py"))
        if path != BOT_DIR / "ui.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "InlineKeyboardButton")
            # InlineKeyboardBuilder.button(text=..., callback_data=...); ui.button is the helper
            or (
                isinstance(node.func, ast.Attribute)
                and node.func.attr == "button"
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "ui")
            )
        )
    ]
    assert makers == []

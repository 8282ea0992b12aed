"""Callback data: every button's longest form fits Telegram's 64 bytes."""

from zoneinfo import available_timezones

import pytest
from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData

from bot.callbacks import (
    CardAction,
    CardButton,
    FilterAction,
    FilterButton,
    LeadAction,
    LeadButton,
    ListAction,
    ProfileAction,
    ProfileButton,
    ProposalAction,
    ProposalButton,
)
from bot.handlers.create import NewAction, NewButton
from bot.handlers.edit.common import (
    BUILTIN_KINDS,
    EditAction,
    EditButton,
    LinkAction,
    LinkButton,
    LinkTarget,
)
from bot.handlers.edit.fields import MAX_ITEMS
from bot.handlers.settings.held import HeldAction, HeldStep
from crm.db import MAX_ID
from crm.i18n import LANGUAGES
from crm.rules.fields import VALUE_TYPES

# Versions are 32-bit integers like ids; a custom field goes by `u<its id>`.
LONGEST_FIELD = max([*BUILTIN_KINDS, f"u{MAX_ID}"], key=len)
LONGEST_PROFILE_VALUE = max([*available_timezones(), *LANGUAGES], key=len)
MOST_TYPES = max(len(types) for types in VALUE_TYPES.values())


def _longest() -> list[CallbackData]:
    return [
        *(CardAction(action=b, id=MAX_ID, version=MAX_ID, number=MAX_ID) for b in CardButton),
        ListAction(serial=MAX_ID, page=MAX_ID),
        *(FilterAction(action=b, id=MAX_ID) for b in FilterButton),
        *(ProfileAction(action=b, value=LONGEST_PROFILE_VALUE) for b in ProfileButton),
        *(LeadAction(action=b, id=MAX_ID) for b in LeadButton),
        *(ProposalAction(action=b, id=MAX_ID) for b in ProposalButton),
        *(NewAction(action=b, serial=MAX_ID, id=MAX_ID) for b in NewButton),
        *(
            EditAction(
                action=b,
                id=MAX_ID,
                version=MAX_ID,
                field=LONGEST_FIELD,
                item=MAX_ITEMS,
                type_number=MOST_TYPES,
            )
            for b in EditButton
        ),
        *(
            LinkAction(action=b, id=MAX_ID, target=target, target_id=MAX_ID, primary=True)
            for b in LinkButton
            for target in LinkTarget
        ),
        *(
            HeldAction(action=b, form_id=MAX_ID, submission_id=MAX_ID, page=MAX_ID)
            for b in HeldStep
        ),
    ]


@pytest.mark.parametrize("data", _longest(), ids=lambda d: f"{type(d).__name__}.{d}")
def test_the_longest_callback_data_of_every_button_fits_telegrams_limit(data):
    packed = data.pack()  # aiogram refuses more than 64 bytes here already
    assert len(packed.encode()) <= MAX_CALLBACK_LENGTH
    assert type(data).unpack(packed) == data


def test_an_action_packs_as_its_short_code():
    packed = EditAction(action=EditButton.CHANNEL_TYPE, id=7, version=3, field="phones", item=1)
    assert packed.pack() == "e:ct:7:3:phones:1:0"
    assert CardAction(action=CardButton.OPEN, id=5, number=1).pack() == "c:open:5:0:1"
    link = LinkAction(action=LinkButton.LINK, id=5, target=LinkTarget.COMPANY, target_id=9)
    assert link.pack() == "el:l:5:c:9:0"
    assert LinkAction.unpack("el:m:5::0:0") == LinkAction(action=LinkButton.MENU, id=5)


@pytest.mark.parametrize(
    ("factory", "data"),
    [(CardAction, "c:nonsense:1:0:0"), (EditAction, "e:zz:1:1::0:0"), (LinkAction, "el:l:1:x:2:0")],
)
def test_an_unknown_action_or_target_does_not_unpack(factory, data):
    with pytest.raises(ValueError):
        factory.unpack(data)

"""One way to name a custom field beside the contact's own fields, parsed in one place.

A custom field is named by its code in two spellings, and both are stored, so both stay:
- `uf:<code>` names it among the card's fields (layout placements, the create dialog's
  questions, the bot's field names), like Bitrix24's `UF_` user fields;
- `custom.<code>` names it among the contact's data (ValidationError keys, history field
  names, a web form field's `maps_to`), as `custom` is the key of custom values in input.
`FieldRef` reads and writes both; nothing else slices these strings.
"""

from dataclasses import dataclass

CARD_PREFIX = "uf:"
DATA_PREFIX = "custom."


@dataclass(frozen=True)
class FieldRef:
    """A custom field, by code."""

    code: str

    @classmethod
    def from_card_field(cls, name: str | None) -> "FieldRef | None":
        """The custom field a card field name (`uf:<code>`) names; None for a contact field."""
        return cls._parse(name, CARD_PREFIX)

    @classmethod
    def from_data_key(cls, key: str | None) -> "FieldRef | None":
        """The custom field a data key (`custom.<code>`) names; None for anything else."""
        return cls._parse(key, DATA_PREFIX)

    @classmethod
    def _parse(cls, name: str | None, prefix: str) -> "FieldRef | None":
        if name and name.startswith(prefix) and len(name) > len(prefix):
            return cls(name[len(prefix) :])
        return None

    @property
    def card_field(self) -> str:
        """`uf:<code>`: the name on the card, in the layout and in the create dialog."""
        return f"{CARD_PREFIX}{self.code}"

    @property
    def data_key(self) -> str:
        """`custom.<code>`: the key of errors, history entries and web form targets."""
        return f"{DATA_PREFIX}{self.code}"

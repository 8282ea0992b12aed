"""The page texts: complete in English and French, and every key the adapter asks for exists."""

import re
from pathlib import Path

import pytest

from crm.i18n import LANGUAGES, Catalogue
from forms.embed import TEXT_KEYS
from forms.page import FORMS_LOCALES

FORMS = Path(__file__).resolve().parents[2] / "forms"
KEY = re.compile(r"""["'](page-[a-z0-9-]+)["']""")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue([FORMS_LOCALES])


def page_keys(catalogue: Catalogue, language: str) -> set[str]:
    return {key for key in catalogue.message_ids(language) if key.startswith("page-")}


def test_english_and_french_have_the_same_page_texts(catalogue):
    assert page_keys(catalogue, "en") == page_keys(catalogue, "fr")


def test_every_page_text_the_code_names_exists(catalogue):
    used = {key for path in FORMS.rglob("*.py") for key in KEY.findall(path.read_text("utf-8"))}
    used |= set(TEXT_KEYS.values())
    assert used - page_keys(catalogue, "en") == set()
    assert len(used) > 20


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_text_formats_in_every_language(catalogue, language):
    t = catalogue.translator(language)
    for key in sorted(page_keys(catalogue, language)):
        text = t(key, label="Name", message="is odd", seconds=30)
        assert text and "{" not in text and key not in text, key

"""The words of signing up exist in both languages and fill in their placeholders."""

from __future__ import annotations

import re

import pytest

from newsletter.render.i18n import LABELS, label
from newsletter.render.signup_words import SIGNUP_LABELS


def test_swedish_and_english_have_the_same_words_and_placeholders() -> None:
    assert set(SIGNUP_LABELS["sv"]) == set(SIGNUP_LABELS["en"])
    for key, swedish in SIGNUP_LABELS["sv"].items():
        english = SIGNUP_LABELS["en"][key]
        assert set(re.findall(r"{(\w+)}", swedish)) == set(re.findall(r"{(\w+)}", english)), key
    assert not set(SIGNUP_LABELS["sv"]) & set(LABELS["sv"]), "a key in both tables"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("sv", "Prenumerera på Brevet"),
        ("en", "Subscribe to Brevet"),
        ("fi", "Prenumerera på Brevet"),
    ],
)
def test_label_finds_sign_up_words_in_the_language_or_swedish(language: str, text: str) -> None:
    assert label(language, "signup_title").format(name="Brevet") == text
    assert label(language, "time") in {"Tid", "Time"}  # the older table still answers
    with pytest.raises(KeyError):
        label(language, "no_such_word")

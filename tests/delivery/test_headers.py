"""Headers made from free text: nothing injected, nothing lost, exactly what was written.

The attacks of issue 12 item 3 (an encoded word with a line break in the issue title,
in from_name, in a subscriber's name) and issue 14 item 1 (a space lost between two
encoded words, CPython gh-144156), then a property-based proof of the round trip.
"""

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from render_fixtures import CONFIG_TOML, make_config, make_issue

from newsletter.audience.tokens import TokenSigner
from newsletter.config import load_config
from newsletter.delivery.headers import (
    HEADER_LINE_LENGTH,
    address_line,
    list_id_line,
    phrase_line,
    unstructured_line,
)
from newsletter.delivery.message import MessageBuilder, Recipient
from newsletter.render.issue import render_issue

SIGNER = TokenSigner(b"a test secret of enough length")
# The attack as found: an encoded CR LF, a Bcc and a read receipt, then a blank line and
# the attacker's HTML, which would replace the body.
INJECTION = (
    "=?utf-8?q?x=0D=0ABcc:_victim@evil.example=0D=0ADisposition-Notification-To:"
    "_a@evil.example=0D=0A=0D=0A<h1>Evil</h1>?="
)


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def build(tmp_path: Path, recipient: Recipient, extra: str = "", **issue: str) -> bytes:
    config = make_config(tmp_path, extra)
    rendered = render_issue(make_issue(**issue), config)
    return MessageBuilder(rendered, config, signer=SIGNER).build(recipient).data


def assert_not_injected(parsed: EmailMessage) -> None:
    for name in ("Bcc", "Disposition-Notification-To"):
        assert name not in parsed
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert "<h1>Evil</h1>" not in parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_an_encoded_line_break_in_the_title_injects_nothing(tmp_path: Path) -> None:
    title = f"Nyheter {INJECTION}"
    parsed = parse(build(tmp_path, Recipient("anna@example.org", "Anna"), title=title))
    assert_not_injected(parsed)
    # The reader sees the text the editor wrote, encoded word and all.
    assert parsed["Subject"] == title


def test_an_encoded_line_break_in_from_name_injects_nothing(tmp_path: Path) -> None:
    toml = CONFIG_TOML.replace('from_name = "Testbrevet"', f'from_name = "Kommunen {INJECTION}"')
    (tmp_path / "newsletter.toml").write_text(toml, encoding="utf-8")
    config = load_config(tmp_path / "newsletter.toml")
    rendered = render_issue(make_issue(), config)
    data = MessageBuilder(rendered, config, signer=SIGNER).build(Recipient("a@example.org")).data
    parsed = parse(data)
    assert_not_injected(parsed)
    assert parsed["From"].addresses[0].display_name == f"Kommunen {INJECTION}"


def test_a_long_subscriber_name_with_an_encoded_line_break_is_sent(tmp_path: Path) -> None:
    # Over 74 characters: the email package's folding raised ValueError on every send.
    name = "Anna Lindqvist Testsson " * 3 + "=?utf-8?q?x=0D=0ABcc:_victim@evil.example?="
    parsed = parse(build(tmp_path, Recipient("anna@example.org", name)))
    assert_not_injected(parsed)
    assert parsed["To"].addresses[0].display_name == name
    assert parsed["To"].addresses[0].addr_spec == "anna@example.org"


def test_a_space_between_two_swedish_words_is_kept(tmp_path: Path) -> None:
    # gh-144156: the email package folds this subject into two adjacent encoded words
    # where the text has a space, and RFC 2047 readers drop that space.
    subject = "Våra vänorter i Östergötland och Småland möts på Åland för första gången"
    data = build(tmp_path, Recipient("a@example.org", "Åsa Öberg"), subject=subject)
    parsed = parse(data)
    assert parsed["Subject"] == subject
    head = data.split(b"\r\n\r\n")[0].decode("ascii")
    raw = re.search(r"^Subject: [^\r\n]*(?:\r\n [^\r\n]*)*", head, re.M)
    assert raw is not None
    # Every space of the text is inside an encoded word ("_"), and the words are split
    # inside a word of the text, never at a space.
    words = re.findall(r"=\?utf-8\?q\?([^?]*)\?=", raw.group())
    assert len(words) > 1 and "".join(words).count("_") == subject.count(" ")
    assert not any(word.startswith("_") or word.endswith("_") for word in words)
    for line in raw.group().split("\r\n"):
        assert len(line) <= 76


# --- the round trip, for every text --------------------------------------------------

WORDS = [
    "våra", "vänorter", "år", "Östergötland", "möte", "café", "är", "på", "Ängelholm",
    "idé", "Åsa-Märta", "kommun", "SKR:s", "nr.6", "(sv)", "2020", "Linköping,", "ö",
    "=?utf-8?q?x?=", "a=?b", "?=", '"citat"', "väg\\", "Ä", "é", "x",
]  # fmt: skip
texts = (
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=90)
    .map(" ".join)
    .filter(lambda text: 1 <= len(text) <= 250)
)
lengths = st.integers(min_value=1, max_value=250)


def exactly(length: int) -> st.SearchStrategy[str]:
    """Texts of Swedish words of exactly LENGTH characters."""
    return st.lists(st.sampled_from(WORDS), min_size=1, max_size=length).map(
        lambda words: (" ".join(words) * (length // max(len(" ".join(words)), 1) + 1))[:length]
    )


def lines_fit(line: bytes) -> bool:
    return all(len(part) <= 998 for part in line.split(b"\r\n"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, lengths.flatmap(exactly)))
def test_any_subject_reads_back_exactly(text: str) -> None:
    text = text.strip() or "x"
    line = unstructured_line("Subject", text)
    assert line.endswith(b"\r\n") and line.isascii() and lines_fit(line)
    assert all(len(part) <= HEADER_LINE_LENGTH for part in line.split(b"\r\n"))
    assert parse(line + b"\r\nbody\r\n")["Subject"] == text


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, lengths.flatmap(exactly)))
def test_any_display_name_reads_back_exactly(text: str) -> None:
    name = " ".join(text.split())
    for header in ("From", "To"):
        line = phrase_line(header, name, "anna.lindqvist@kommun.example.se")
        assert line.isascii() and lines_fit(line)
        [address] = parse(line + b"\r\nbody\r\n")[header].addresses
        assert (address.display_name, address.addr_spec) == (
            name,
            "anna.lindqvist@kommun.example.se",
        )
    assert address_line(name, "a@b.se") == phrase_line("To", name, "a@b.se")


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, lengths.flatmap(exactly)))
def test_any_list_name_reads_back_exactly(text: str) -> None:
    name = text.strip() or "x"
    line = list_id_line(name, "nyheter.example.org")
    assert line.isascii() and all(len(part) <= HEADER_LINE_LENGTH for part in line.split(b"\r\n"))
    value = str(parse(line + b"\r\nbody\r\n")["List-Id"])
    if b"=?utf-8?" in line:
        # Encoded: mail programs read List-Id as unstructured text, decoded as written.
        assert value == f"{name} <nyheter.example.org>"
    else:
        # A plain phrase, quoted where it must be: read back as an address header's
        # phrase, which is parsed strictly.
        phrase = line.decode().removeprefix("List-Id: ").rpartition(" <")[0]
        as_address = parse(f"To: {phrase} <x@example.org>\r\n\r\n".encode())
        assert as_address["To"].addresses[0].display_name == name


def test_every_supported_length_of_a_swedish_subject(tmp_path: Path) -> None:
    # Not left to chance: each length from 1 to 250 once, with å, ä, ö and é.
    base = "Våra vänorter möts på café i Östergötland år 2020 och é " * 6
    for length in range(1, 251):
        text = base[:length].strip() or "å"
        assert parse(unstructured_line("Subject", text) + b"\r\n")["Subject"] == text
        [address] = parse(phrase_line("To", text, "a@b.se") + b"\r\n")["To"].addresses
        assert address.display_name == " ".join(text.split())

import asyncio
import email
import re
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import pytest
from render_fixtures import make_config, make_issue

from newsletter import urls
from newsletter.audience.tokens import TokenSigner
from newsletter.delivery.headers import HEADER_LINE_LENGTH, address_line, list_id_line
from newsletter.delivery.message import MessageBuilder, OutgoingMessage, Recipient, UnusableAddress
from newsletter.delivery.quotedprintable import QP_LINE_LENGTH, encode_body
from newsletter.delivery.transport import Outbox, open_transport
from newsletter.render.issue import RenderedIssue, render_issue
from newsletter.render.personalize import Personal, Personalizer

SIGNER = TokenSigner(b"a test secret of enough length")
INTRO = "Hej {{ name }}! Du på {{ organisation }} i {{ kommun }} får brevet som {{ email }}."
ANNA = Recipient(
    "anna.lindqvist@linkoping.example.se",
    "Anna Lindqvist",
    {"organisation": "Linköpings kommun", "kommun": "Linköping"},
)


def rendered(tmp_path: Path, newsletter_extra: str = "", **changes: str) -> RenderedIssue:
    config = make_config(tmp_path, newsletter_extra)
    return render_issue(make_issue(intro=INTRO, **changes), config)


def builder(tmp_path: Path, newsletter_extra: str = "", *, test: bool = False) -> MessageBuilder:
    config = make_config(tmp_path, newsletter_extra)
    return MessageBuilder(
        render_issue(make_issue(intro=INTRO), config), config, signer=SIGNER, test=test
    )


def parse(message: OutgoingMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.data, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def url_only_line(line: bytes) -> bool:
    """A header line holding one URL in angle brackets: it cannot be folded without harm."""
    return re.fullmatch(rb"(List-Unsubscribe: | )<[^<> ]+>,?", line) is not None


def test_the_message_is_multipart_alternative_text_first(tmp_path: Path) -> None:
    message = builder(tmp_path).build(ANNA)
    parsed = parse(message)
    assert parsed.defects == [] and all(part.defects == [] for part in parsed.walk())
    assert parsed.get_content_type() == "multipart/alternative"
    parts = list(parsed.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    for part in parts:
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        assert part.get_content_charset() == "utf-8"
    assert "Hej Anna Lindqvist! Du på Linköpings kommun i Linköping" in " ".join(
        parts[0].get_content().split()
    )
    assert "Hej Anna Lindqvist! Du på Linköpings kommun i Linköping" in parts[1].get_content()
    assert message.data.isascii() and b"\r\n" in message.data
    assert b"\n" not in message.data.replace(b"\r\n", b"")


def test_the_headers(tmp_path: Path) -> None:
    message = builder(tmp_path).build(ANNA)
    parsed = parse(message)
    assert parsed["From"] == "Testbrevet <test@nyhetsbrev.example.org>"
    assert parsed["Reply-To"] == "test@example.org"
    assert parsed["To"] == "Anna Lindqvist <anna.lindqvist@linkoping.example.se>"
    assert parsed["Subject"] == "Nyheter i september"
    assert parsed["Date"].datetime is not None
    assert parsed["Message-ID"] == message.message_id
    assert re.fullmatch(r"<[^@<>]+@nyhetsbrev\.example\.org>", message.message_id)
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["List-Id"] == "Testbrevet <test.nyhetsbrev.example.org>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Archive"] == "<https://nyhetsbrev.example.org/test/>"
    assert parsed["Archived-At"] == "<https://nyhetsbrev.example.org/test/2020-03/>"
    assert parsed["X-Auto-Response-Suppress"] == "OOF, AutoReply"
    assert "Feedback-ID" not in parsed
    assert (message.sender, message.recipient) == (
        "test@nyhetsbrev.example.org",
        "anna.lindqvist@linkoping.example.se",
    )
    # Exactly one of each: nothing duplicated between the skeleton and the recipient's part.
    names = [name.lower() for name in parsed]
    assert len(names) == len(set(names))


def test_list_unsubscribe_carries_a_token_of_this_address(tmp_path: Path) -> None:
    parsed = parse(builder(tmp_path).build(ANNA))
    https, mailto = re.findall(r"<([^<>]+)>", parsed["List-Unsubscribe"])
    token = https.removeprefix("https://nyhetsbrev.example.org/u/")
    assert https == urls.unsubscribe_url(make_config(tmp_path), token)
    assert SIGNER.matches(token, ANNA.email, "test")
    assert not SIGNER.matches(token, "someone.else@example.org", "test")
    assert mailto == f"mailto:test@example.org?subject=unsubscribe%20{token}"
    # The same address is the visible link in both parts.
    text, html = (part.get_content() for part in parsed.iter_parts())
    assert https in text and f'href="{https}"' in html


def test_non_ascii_headers_are_encoded_and_folded(tmp_path: Path) -> None:
    extra = 'feedback_id = "2020-03:test:nyhetsbrev"'
    long_name = "Åsa-Märta Östergård Ödmansson Lindqvist von Bärenstråhle-Ängelholm"
    subject = "Nyheter om medborgardialog, medskapande och demokrati i Sveriges kommuner år 2020"
    config = make_config(tmp_path, extra)
    built = MessageBuilder(
        render_issue(make_issue(intro=INTRO, subject=subject), config), config, signer=SIGNER
    ).build(Recipient("asa@example.org", long_name))
    parsed = parse(built)
    assert parsed["Subject"] == subject
    assert parseaddr(parsed["To"]) == (long_name, "asa@example.org")
    assert parsed["Feedback-ID"] == "2020-03:test:nyhetsbrev"
    head = built.data.split(b"\r\n\r\n")[0]
    raw_subject = re.search(rb"^Subject: [^\r]*(\r\n [^\r]*)*", head, re.M)
    assert raw_subject and b"=?utf-8?" in raw_subject.group() and b"\r\n " in raw_subject.group()
    for line in head.split(b"\r\n"):
        assert len(line) <= HEADER_LINE_LENGTH or url_only_line(line), line


def test_no_line_is_too_long(tmp_path: Path) -> None:
    message = builder(tmp_path).build(ANNA)
    head, _, body = message.data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        assert len(line) <= HEADER_LINE_LENGTH or url_only_line(line), line
        assert len(line) <= 998
    body_lines = body.split(b"\r\n")
    assert max(len(line) for line in body_lines) <= QP_LINE_LENGTH
    # The minified HTML has lines far longer than that before encoding.
    html = parse(message).get_body(("html",))
    assert html is not None and max(map(len, html.get_content().splitlines())) > 200


def test_a_test_send_says_so_in_the_subject(tmp_path: Path) -> None:
    assert parse(builder(tmp_path, test=True).build(ANNA))["Subject"] == (
        "[TEST] Nyheter i september"
    )
    config = make_config(tmp_path)
    english = render_issue(make_issue(intro=INTRO, language="en"), config)
    message = MessageBuilder(english, config, signer=SIGNER, test=True).build(ANNA)
    assert parse(message)["Subject"].startswith("[TEST] ")


def test_line_breaks_in_a_name_cannot_add_headers(tmp_path: Path) -> None:
    evil = Recipient("anna@example.org", "Anna\r\nBcc: victim@example.org\nX-Evil: 1")
    parsed = parse(builder(tmp_path).build(evil))
    assert "Bcc" not in parsed and "X-Evil" not in parsed
    assert parseaddr(parsed["To"]) == (
        "Anna Bcc: victim@example.org X-Evil: 1",
        "anna@example.org",
    )


@pytest.mark.parametrize(
    "address",
    ["anna@example.org\r\nBcc: victim@example.org", "anna @example.org", "anna\x00@example.org"],
)
def test_an_address_that_could_break_a_header_is_refused(tmp_path: Path, address: str) -> None:
    with pytest.raises(UnusableAddress, match="not a usable address"):
        builder(tmp_path).build(Recipient(address, "Anna"))


def test_non_ascii_before_the_at_is_refused_plainly(tmp_path: Path) -> None:
    with pytest.raises(UnusableAddress, match="needs SMTPUTF8"):
        builder(tmp_path).build(Recipient("åsa@example.org", "Åsa"))


def test_an_international_domain_is_sent_in_punycode(tmp_path: Path) -> None:
    message = builder(tmp_path).build(Recipient("anna@räksmörgås.se", "Anna"))
    assert message.recipient == "anna@xn--rksmrgs-5wao1o.se"
    assert parse(message)["To"] == "Anna <anna@xn--rksmrgs-5wao1o.se>"


def test_each_message_has_its_own_message_id(tmp_path: Path) -> None:
    made = builder(tmp_path)
    ids = {made.build(ANNA).message_id for _ in range(50)}
    assert len(ids) == 50


TRICKY = [
    Recipient("a@example.org", "", {}),
    Recipient("b@example.org", "Björn", {"organisation": "x " * 60, "kommun": "= =3D ="}),
    Recipient("c@example.org", "Ärlig Öst", {"organisation": "slut med mellanslag  "}),
    Recipient("d@example.org", "D", {"organisation": "rad\nbrytning\r\nhär", "kommun": "å" * 80}),
    Recipient("e@example.org", "E", {"organisation": "<b>&amp;</b>", "kommun": "tab\there\t"}),
]


@pytest.mark.parametrize("recipient", TRICKY, ids=lambda r: r.email)
def test_bodies_are_what_the_email_package_makes(tmp_path: Path, recipient: Recipient) -> None:
    """The line-by-line encoding with cached lines equals the email package's own."""
    issue = rendered(tmp_path)
    config = make_config(tmp_path)
    message = MessageBuilder(issue, config, signer=SIGNER).build(recipient)
    token = SIGNER.make(recipient.email, "test")
    html, text = Personalizer(issue).personalize(
        Personal(
            recipient.email,
            recipient.name,
            recipient.fields,
            urls.unsubscribe_url(config, token),
            urls.issue_url(config, "test", issue.issue.slug),
        )
    )
    parts = list(parse(message).iter_parts())
    for part, content, subtype in zip(parts, (text, html), ("plain", "html"), strict=True):
        reference = EmailMessage(policy=policy.SMTP.clone(max_line_length=QP_LINE_LENGTH))
        reference.set_content(content, subtype=subtype, charset="utf-8", cte="quoted-printable")
        expected = reference.get_payload()
        assert str(part.get_payload()).replace("\r\n", "\n") == expected
        assert part.get_content().replace("\r\n", "\n") == reference.get_content()


def test_encode_body_matches_the_email_package() -> None:
    text = "Rad ett \nå" * 100 + " " * 90 + "\n\n=slut=  \n" + "ö" * 200
    reference = EmailMessage(policy=policy.SMTP.clone(max_line_length=QP_LINE_LENGTH))
    reference.set_content(text, charset="utf-8", cte="quoted-printable")
    assert encode_body(text).decode().replace("\r\n", "\n") == reference.get_payload()


def test_the_outbox_writes_numbered_files_that_mail_programs_read(tmp_path: Path) -> None:
    made = builder(tmp_path)
    config = make_config(tmp_path)
    folder = tmp_path / "outbox" / "test" / "2020-03"

    async def deliver(recipients: list[Recipient]) -> list[str]:
        async with open_transport(config, outbox=folder) as transport:
            assert transport.description == "outbox/test/2020-03"
            results = [await transport.send(made.build(r)) for r in recipients]
        assert {result.outcome for result in results} == {"sent"}
        return [result.reply for result in results]

    first = asyncio.run(deliver([ANNA, TRICKY[1]]))
    # Relative to the project, as the receipt (a public record) shows it: no home folder.
    assert first == ["outbox/test/2020-03/00001.eml", "outbox/test/2020-03/00002.eml"]
    # A resumed send continues the numbering.
    assert asyncio.run(deliver([TRICKY[2]])) == ["outbox/test/2020-03/00003.eml"]
    parsed = email.message_from_bytes((folder / "00002.eml").read_bytes(), policy=policy.default)
    assert parsed["To"] == "Björn <b@example.org>" and parsed.defects == []


def test_an_outbox_that_cannot_be_made_is_a_transport_error(tmp_path: Path) -> None:
    from newsletter.errors import TransportError

    (tmp_path / "file").write_text("not a folder")

    async def enter() -> None:
        async with Outbox(tmp_path / "file" / "outbox"):
            pass

    with pytest.raises(TransportError, match="cannot create the outbox folder"):
        asyncio.run(enter())


@pytest.mark.parametrize(
    ("name", "address"),
    [
        ("Anna", "anna@example.org"),
        ("Förnamn Efternamn 5", "forn.efternamn5@kommun5.example.se"),
        ("Lindqvist, Anna (SKR)", "anna.lindqvist.skr.sverige@linkoping.example.se"),
        ('Anna "Annie" Ek', "a@example.org"),
        ("Åsa-Märta Östergård Ödmansson Lindqvist von Bärenstråhle-Ängelholm", "a@b.se"),
        ("", "just.an.address@example.org"),
    ],
)
def test_to_is_folded_and_reads_back_the_same(name: str, address: str) -> None:
    line = address_line(name, address)
    assert line.endswith(b"\r\n") and b"\r\n\r\n" not in line
    assert all(len(part) <= HEADER_LINE_LENGTH for part in line.split(b"\r\n"))
    parsed = email.message_from_bytes(line + b"\r\nbody\r\n", policy=policy.default)
    assert parsed.defects == [] and parsed["To"].defects == ()
    assert parseaddr(parsed["To"]) == (name, address)


@pytest.mark.parametrize(
    "name",
    [
        "Testbrevet",
        "SKR:s nyhetsbrev om medborgardialog och medskapande i Sveriges kommuner, del 2",
        "Region Östergötlands nyhetsbrev om regional utveckling, kultur och näringsliv",
        'Nyheter från "Kommunen" <test>',
    ],
)
def test_list_id_keeps_the_name_a_phrase(name: str) -> None:
    line = list_id_line(name, "nyheter.example.org")
    assert all(len(part) <= HEADER_LINE_LENGTH for part in line.split(b"\r\n"))
    parsed = email.message_from_bytes(line + b"\r\nbody\r\n", policy=policy.default)
    assert parsed["List-Id"].defects == ()
    phrase = line.removeprefix(b"List-Id: ").rpartition(b"<")[0].decode().strip()
    if name.isascii():
        # Quoted where it needs to be: it reads back as the name where a phrase is parsed
        # strictly, in an address.
        address = email.message_from_string(
            f"To: {phrase}<x@example.org>\n\n", policy=policy.default
        )
        assert address["To"].defects == () and address["To"].addresses[0].display_name == name
    else:
        # Encoded words only: no comma or colon of the name stands bare in the phrase.
        assert re.fullmatch(r"(=\?utf-8\?[qb]\?[^?\s]+\?=\s*)+", phrase, re.I)
        assert str(make_header(decode_header(phrase))) == name

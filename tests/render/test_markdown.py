from newsletter.render.markdown import Block, links, to_html, to_text


def test_markdown_becomes_html() -> None:
    html = to_html("Hej **alla**, läs [rapporten](https://example.org/r?a=1&b=2).")
    assert "<strong>alla</strong>" in html
    assert '<a href="https://example.org/r?a=1&amp;b=2">rapporten</a>' in html


def test_raw_html_is_shown_as_text_not_run() -> None:
    html = to_html('Se <script>alert(1)</script> och <img src="x" onerror="y">')
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_only_https_http_and_mailto_links_survive() -> None:
    html = to_html(
        "[a](javascript:alert(1)) [b](data:text/html,x) [c](mailto:a@example.org) [d](http://x.se)"
    )
    assert 'href="javascript:' not in html and 'href="data:' not in html
    assert html.count("<a ") == 2
    assert 'href="mailto:a@example.org"' in html
    assert 'href="http://x.se"' in html


def test_headings_and_images_stay_text() -> None:
    # An item's heading is its h3: a "# " in a body must not add an h1 to the e-mail.
    html = to_html("# Rubrik\n\n![bild](https://example.org/a.png)")
    assert "<h1" not in html and "<img" not in html


def test_links_lists_every_address() -> None:
    assert links("[a](https://a.se) och <https://b.se>") == ["https://a.se", "https://b.se"]


def test_text_writes_each_link_after_its_label() -> None:
    (block,) = to_text("Läs [rapporten](https://example.org/r) eller <https://example.org/x>.")
    assert block.text == "Läs rapporten <https://example.org/r> eller https://example.org/x."


def test_text_keeps_lists_and_their_numbers() -> None:
    blocks = to_text("Inledning\n\n- ett\n- två\n\n3. tre\n4. fyra")
    assert blocks == [
        Block("Inledning"),
        Block("ett", "• "),
        Block("två", "• "),
        Block("tre", "3. "),
        Block("fyra", "4. "),
    ]


QUOTED = (
    "Merparten sköter sitt uppdrag vid sidan om arbete och studier.\n"
    "– Den lokala och regionala närheten ger goda förutsättningar, säger Anders Knape."
)


def test_a_line_that_ends_a_sentence_or_opens_a_quotation_keeps_its_break() -> None:
    html = to_html(QUOTED + "\nVeckorna går fort!\nI detta brev")
    assert "studier.<br>\n– Den lokala" in html
    assert "Knape.<br>\nVeckorna går fort!<br>\nI detta brev" in html
    (block,) = to_text(QUOTED)
    assert block.text.split("\n") == QUOTED.split("\n")


def test_a_line_broken_in_mid_sentence_is_joined() -> None:
    wrapped = "Projekt Medborgardialog har prövat en modell för\nmedborgardialog i komplexa frågor."
    assert "<br" not in to_html(wrapped)
    assert to_text(wrapped) == [Block(wrapped.replace("\n", " "))]

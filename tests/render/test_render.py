import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

import lxml.html
import pytest
from render_fixtures import EXAMPLES, ROOT, make_config, make_issue

from newsletter.content.project import load
from newsletter.errors import ConfigError, RenderError
from newsletter.render.issue import WARN_BYTES, quoted_printable_size, render_issue
from newsletter.render.personalize import Personal, Personalizer
from newsletter.render.plaintext import WIDTH

PERSONAL = Personal(
    email="anna@example.org",
    name="Anna",
    fields={},
    unsubscribe_url="https://nyhetsbrev.example.org/u/TOKEN.abc_-?x=1&y=2",
    web_url="https://nyhetsbrev.example.org/test/2020-03/",
)


def rendered_html(tmp_path: Path, **changes: object) -> lxml.html.HtmlElement:
    rendered = render_issue(make_issue(**changes), make_config(tmp_path))
    return lxml.html.document_fromstring(Personalizer(rendered).personalize(PERSONAL)[0])


def test_document_has_language_title_and_hidden_preheader(tmp_path: Path) -> None:
    rendered = render_issue(make_issue(), make_config(tmp_path))
    assert rendered.html.startswith("<!doctype html>")
    doc = lxml.html.document_fromstring(rendered.html)
    assert doc.get("lang") == "sv"
    assert doc.findtext(".//title") == "Nyheter i september"
    (preheader,) = doc.xpath("//div[@class='nl-preheader']")
    assert "display:none" in preheader.get("style")
    text, filler = preheader.text_content().split(">", 1)
    assert text + ">" == "Webbkurs, rapport och <evenemang>"
    # The preview line ends there: invisible filler instead of "Visa i webbläsaren".
    assert len(filler) >= 150 and set(filler) == {"\u034f", "\u200c", "\u00a0"}
    # No text colour: SpamAssassin scores white on white (HTML_FONT_LOW_CONTRAST).
    assert "color" not in preheader.get("style")


def test_without_a_preheader_the_titles_are_previewed(tmp_path: Path) -> None:
    rendered = render_issue(make_issue(preheader=None), make_config(tmp_path))
    doc = lxml.html.document_fromstring(rendered.html)
    (preheader,) = doc.xpath("//div[@class='nl-preheader']")
    assert preheader.text_content().rstrip("\u034f\u200c\u00a0") == (
        "Linköping tillsammans · Geografier som inte syns · Webbkurs i omvärldskunskap · "
        "Det demokratiska samtalet"
    )


def test_headings_follow_the_issue_without_skipping_a_level(tmp_path: Path) -> None:
    doc = rendered_html(tmp_path)
    headings = [(h.tag, h.text_content()) for h in doc.iter("h1", "h2", "h3", "h4")]
    # The first section has no title: its items are h2, not h3 under a missing h2.
    assert headings == [
        ("h1", "Nyheter i september"),
        ("h2", "Linköping tillsammans"),
        ("h2", "Geografier som inte syns"),
        ("h2", "Kommande evenemang"),
        ("h3", "Webbkurs i omvärldskunskap"),
        ("h3", "Det demokratiska samtalet"),
        ("h2", "Redaktör"),
    ]


def test_view_in_browser_and_unsubscribe_links_are_visible(tmp_path: Path) -> None:
    doc = rendered_html(tmp_path)
    links = {a.text_content().strip(): a.get("href") for a in doc.iter("a")}
    assert links["Visa i webbläsaren"] == PERSONAL.web_url
    assert links["Avregistrera"] == PERSONAL.unsubscribe_url


def test_urls_survive_mjml_and_premailer_untouched(tmp_path: Path) -> None:
    rendered = render_issue(make_issue(), make_config(tmp_path))
    html, text = Personalizer(rendered).personalize(PERSONAL)
    assert 'href="https://nyhetsbrev.example.org/u/TOKEN.abc_-?x=1&amp;y=2"' in html
    assert 'href="https://example.org/anmalan?id=7&amp;x=y"' in html
    assert 'href="https://example.org/om?a=1&amp;b=2"' in html
    assert "Avregistrera: https://nyhetsbrev.example.org/u/TOKEN.abc_-?x=1&y=2" in text


def test_event_details_are_a_labelled_table_with_buttons(tmp_path: Path) -> None:
    doc = rendered_html(tmp_path)
    table = doc.xpath("//table[.//th[text()='Tid']]")[0]
    rows = {th.text_content(): th.getnext().text_content() for th in table.iter("th")}
    assert set(rows) == {"Tid", "Plats", "Målgrupp", "Kostnad"}
    assert "Del 2: tisdag 15 september 2020, 13.00–14.00" in " ".join(rows["Tid"].split())
    assert rows["Kostnad"] == "2\u00a0500\u00a0kr exkl. moms per länk"
    buttons = {a.text_content().strip(): a.get("href") for a in doc.iter("a")}
    assert buttons["Anmäl dig här!"] == "https://example.org/anmalan?id=7&x=y"
    calendar = [a.get("href") for a in doc.iter("a") if a.text_content() == "Lägg till i kalendern"]
    assert (
        calendar[0]
        == "https://nyhetsbrev.example.org/test/2020-03/webbkurs-i-omvarldskunskap-1.ics"
    )
    assert len(calendar) == 4


def test_brand_colour_editor_block_and_images_with_alt(tmp_path: Path) -> None:
    rendered = render_issue(make_issue(), make_config(tmp_path))
    assert "#6a2c70" in rendered.html
    doc = lxml.html.document_fromstring(rendered.html)
    assert [img.get("alt") for img in doc.iter("img")] == ["Rapportens omslag"]
    assert 'href="mailto:rita@example.org"' in rendered.html
    assert "Rita Redaktör" in rendered.html and "08-123 45 67" in rendered.html
    assert rendered.warnings == []


def test_layout_tables_are_presentational_and_nothing_is_fetched(tmp_path: Path) -> None:
    rendered = render_issue(make_issue(), make_config(tmp_path))
    doc = lxml.html.document_fromstring(rendered.html)
    layout = [t for t in doc.iter("table") if not t.xpath(".//th")]
    assert layout and all(t.get("role") == "presentation" for t in layout)
    # No web fonts, trackers or scripts: only the image the editor put in.
    assert "fonts.googleapis" not in rendered.html and "<script" not in rendered.html
    assert re.findall(r'src="([^"]+)"', rendered.html) == ["https://example.org/omslag.png"]


def test_dark_mode_colours_are_declared(tmp_path: Path) -> None:
    rendered = render_issue(make_issue(), make_config(tmp_path))
    assert '<meta name="color-scheme" content="light dark"' in rendered.html
    assert "prefers-color-scheme: dark" in rendered.html


def test_english_issue_uses_english_words(tmp_path: Path) -> None:
    rendered = render_issue(make_issue(language="en"), make_config(tmp_path))
    html, text = Personalizer(rendered).personalize(PERSONAL)
    assert '<html lang="en"' in html
    for word in ("Time", "Audience", "Add to calendar", "Unsubscribe", "View in browser"):
        assert word in html and word in text
    assert "Tuesday 25 August 2020" in text


def test_editor_text_is_escaped_not_markup(tmp_path: Path) -> None:
    rendered = render_issue(
        make_issue(title="Fisk & <b>skaldjur</b>", intro="<script>alert(1)</script>"),
        make_config(tmp_path),
    )
    assert "<b>skaldjur" not in rendered.html and "<script" not in rendered.html
    assert "Fisk &amp; &lt;b&gt;skaldjur&lt;/b&gt;" in rendered.html


def test_http_links_are_warned_about(tmp_path: Path) -> None:
    sections = make_issue().model_dump(mode="json")["sections"]
    sections[0]["items"][0]["links"] = [{"label": "Gammal", "url": "http://example.org/old"}]
    rendered = render_issue(make_issue(sections=sections), make_config(tmp_path))
    assert rendered.warnings == [
        "http://example.org/old is an http: link; use https:// if the site supports it."
    ]


def test_a_newsletter_can_override_a_template(tmp_path: Path) -> None:
    own = tmp_path / "mina-mallar"
    own.mkdir()
    (own / "report.mjml").write_text(
        '{% extends "item.mjml" %}{% block details %}'
        '<mj-image src="https://example.org/extra.png" /><mj-text>Egen mall</mj-text>'
        "{% endblock %}"
    )
    config = make_config(tmp_path, 'templates = "mina-mallar"')
    rendered = render_issue(make_issue(), config)
    assert "Egen mall" in rendered.html
    assert any("an image has no alt text" in warning for warning in rendered.warnings)


def test_a_missing_templates_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"templates: the folder .*saknas does not exist"):
        render_issue(make_issue(), make_config(tmp_path, 'templates = "saknas"'))


def test_a_broken_template_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "footer.mjml").write_text("<mj-section>\n{% if %}\n")
    with pytest.raises(RenderError, match=r"footer.mjml:2: template error"):
        render_issue(make_issue(), make_config(tmp_path))


def test_templates_that_drop_the_unsubscribe_link_are_refused(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "footer.mjml").write_text("<mj-section></mj-section>")
    with pytest.raises(RenderError, match="the templates lost the unsubscribe link"):
        render_issue(make_issue(), make_config(tmp_path))


def big_issue(items: int) -> object:
    body = "Ett långt stycke om medborgardialog, förtroende och återkoppling. " * 12
    section = {
        "items": [{"kind": "article", "title": f"Nyhet {n}", "body": body} for n in range(items)]
    }
    return make_issue(sections=[section])


def test_a_large_issue_warns_and_a_too_large_one_is_refused(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    rendered = render_issue(big_issue(21), config)  # type: ignore[arg-type]
    assert rendered.html_size() > WARN_BYTES
    assert "Gmail clips messages" in rendered.warnings[0]
    with pytest.raises(RenderError, match=r"KB encoded, above the 100 KB limit"):
        render_issue(big_issue(35), config)  # type: ignore[arg-type]


def test_size_is_measured_as_the_sender_encodes_it() -> None:
    html = "<p>Välkomna till SKR:s nyhetsbrev – åäö</p>\n" * 500
    message = EmailMessage(policy=email.policy.SMTP)
    message.set_content(html, subtype="html", cte="quoted-printable")
    sent = len(message.get_payload().encode("ascii")) + message.get_payload().count("\n")
    assert abs(quoted_printable_size(html) - sent) / sent < 0.03


def test_text_version_has_the_same_content_wrapped(tmp_path: Path) -> None:
    issue = make_issue()
    rendered = render_issue(issue, make_config(tmp_path))
    _, text = Personalizer(rendered).personalize(PERSONAL)
    positions = [text.index(item.title) for item in issue.items()]
    assert positions == sorted(positions)
    for item in issue.items():
        for link in item.links:
            assert f"{link.label} {link.url}" in text or f"{link.label}: {link.url}" in text
    assert "Läs mer här <https://example.org/om?a=1&b=2>" in " ".join(text.split())
    assert "Målgrupp: Förtroendevalda och tjänstepersoner" in text
    assert all(len(line) <= WIDTH or "://" in line for line in text.splitlines())
    assert "<" not in text.replace("<https://", "")


def test_example_issues_exist() -> None:
    assert len(EXAMPLES) >= 2, "the SKR example issues belong in issues/"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_issues_render_small_and_clean(path: Path) -> None:
    issue, config = load(path)
    rendered = render_issue(issue, config)
    assert rendered.html_size() < WARN_BYTES
    assert rendered.warnings == []
    html, text = Personalizer(rendered).personalize(PERSONAL)
    doc = lxml.html.document_fromstring(html)
    titles = [" ".join(item.title.split()) for item in issue.items()]
    item_titles = doc.find_class("nl-item-title")
    assert [" ".join(h.text_content().split()) for h in item_titles] == titles
    words = " ".join(text.split())
    positions = [words.index(title) for title in titles]
    assert positions == sorted(positions)  # the same order as the HTML
    for item in issue.items():
        for link in item.links:
            assert link.url in text and link.url in rendered.html.replace("&amp;", "&")


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    first, second = (render_issue(make_issue(), config) for _ in range(2))
    assert (first.html, first.text, first.calendar) == (second.html, second.text, second.calendar)
    assert ROOT.is_dir()


def test_the_logo_comes_from_the_configuration(tmp_path: Path) -> None:
    logo = 'logo = "https://example.org/logo.png"\nlogo_alt = "Testbrevets logotyp"'
    rendered = render_issue(make_issue(), make_config(tmp_path, logo))
    doc = lxml.html.document_fromstring(rendered.html)
    alts = {img.get("src"): img.get("alt") for img in doc.iter("img")}
    assert alts["https://example.org/logo.png"] == "Testbrevets logotyp"

"""What the built-in templates draw: the parts a reader meets in every client."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
from render_fixtures import EXAMPLES, issue_data, make_config, make_issue

from newsletter.content.project import load
from newsletter.render.issue import render_issue
from newsletter.render.personalize import Personal, Personalizer

PERSONAL = Personal(
    email="anna@example.org",
    name="Anna",
    fields={},
    unsubscribe_url="https://nyhetsbrev.example.org/u/TOKEN",
    web_url="https://nyhetsbrev.example.org/test/2020-03/",
)


def rendered(tmp_path: Path, extra: str = "", **changes: object) -> tuple[str, str]:
    issue = make_issue(**changes)
    return Personalizer(render_issue(issue, make_config(tmp_path, extra))).personalize(PERSONAL)


def test_every_image_has_a_pixel_width_attribute(tmp_path: Path) -> None:
    # Outlook for Windows sizes width="100%" images by the file's own width.
    html, _ = rendered(tmp_path, 'logo = "https://example.org/logo.png"\nlogo_alt = "Logga"')
    for path in EXAMPLES:
        issue, config = load(path)
        html += render_issue(issue, config).html
    widths = re.findall(r"<img [^>]*?width=\"([^\"]*)\"", html)
    assert len(widths) == html.count("<img ") >= 4
    assert all(width.isdigit() for width in widths), widths


def test_dark_mode_rules_only_name_classes_the_e_mail_has(tmp_path: Path) -> None:
    html, _ = rendered(tmp_path)
    dark = html[html.index("prefers-color-scheme: dark") :]
    dark = dark[: dark.index("</style>")]
    classes = set(re.findall(r"\.(nl-[a-z0-9-]+)", dark))
    doc = lxml.html.document_fromstring(html)
    used = {name for element in doc.iter() for name in (element.get("class") or "").split()}
    assert {"nl-page", "nl-card", "nl-muted", "nl-button"} <= classes
    assert classes - used == set()


def test_the_newsletter_name_is_shown_once_when_the_title_is_that_name(tmp_path: Path) -> None:
    html, text = rendered(tmp_path, title="Testbrevet")
    doc = lxml.html.document_fromstring(html)
    assert doc.body.text_content().count("Testbrevet") == 2  # the h1 and the footer
    assert text.count("Testbrevet") == 2 and "TESTBREVET" not in text
    html, text = rendered(tmp_path, title="Nyheter i september")
    assert "TESTBREVET" in text


def test_main_actions_come_first_as_buttons_and_other_links_as_text_links(
    tmp_path: Path,
) -> None:
    data = issue_data()
    course = data["sections"][1]["items"][0]
    course["links"].reverse()  # "Mer information" first, as editors often write it
    course["links"].append(
        {
            "label": "Anmäl dig till hela kursen i omvärldskunskap här",
            "url": "https://example.org/lang",
            "role": "register",
        }
    )
    html, _ = rendered(tmp_path, sections=data["sections"])
    doc = lxml.html.document_fromstring(html)
    cell = doc.xpath("//*[contains(@class, 'nl-item-title')][.='Webbkurs i omvärldskunskap']")[0]
    links = cell.xpath("ancestor::table[1]//td[@class='nl-button' or @class='nl-link']//a")
    drawn = [(a.xpath("ancestor::td[@class][1]")[0].get("class"), a.text_content()) for a in links]
    assert drawn == [
        ("nl-button", "Anmäl dig här!"),
        ("nl-link", "Anmäl dig till hela kursen i omvärldskunskap här"),  # too long for a button
        ("nl-link", "Mer information"),
    ]


def test_every_link_has_a_name_of_its_own_for_screen_readers(tmp_path: Path) -> None:
    for path in [*EXAMPLES, None]:
        if path is None:
            html, _ = rendered(tmp_path)
        else:
            issue, config = load(path)
            html, _ = Personalizer(render_issue(issue, config)).personalize(PERSONAL)
        doc = lxml.html.document_fromstring(html)
        names: dict[str, set[str]] = {}
        for a in doc.iter("a"):
            name = a.get("aria-label") or " ".join(a.text_content().split())
            names.setdefault(name, set()).add(a.get("href"))
        # WCAG 2.4.4: links with the same name go to the same place.
        assert {name: hrefs for name, hrefs in names.items() if len(hrefs) > 1} == {}
        calendar = [a for a in doc.iter("a") if a.text_content() in ("Lägg till i kalendern",)]
        for a in calendar:  # the name starts with what is shown (WCAG 2.5.3)
            assert a.get("aria-label").startswith("Lägg till i kalendern: ")


def test_the_editors_phone_number_can_be_tapped(tmp_path: Path) -> None:
    html, text = rendered(tmp_path)
    assert '<a href="tel:+4681234567"' in html and ">08-123 45 67</a>" in html
    assert "Telefon: 08-123 45 67 (+4681234567)" in text


def test_separators_are_mjml_dividers_not_css_borders_on_text(tmp_path: Path) -> None:
    # Outlook for Windows draws borders on div and h2 unreliably; MJML's dividers carry
    # a table of their own for it.
    html, _ = rendered(tmp_path)
    doc = lxml.html.document_fromstring(html)
    bordered = [
        element.tag
        for element in doc.iter("div", "h1", "h2", "h3")
        if "border" in (element.get("style") or "")
    ]
    assert bordered == []
    assert html.count("<!--[if mso | IE]><table") >= 4
    assert len(doc.find_class("nl-rule")) == 3 and len(doc.find_class("nl-underline")) == 1


def test_single_line_breaks_survive_in_html_and_text(tmp_path: Path) -> None:
    html, text = rendered(tmp_path, intro="Sista meningen.\n– Ett citat, säger någon.")
    assert "Sista meningen.<br>" in html
    assert "Sista meningen.\n– Ett citat, säger någon." in text

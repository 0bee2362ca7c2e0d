from pathlib import Path

from render_fixtures import make_config, make_issue

from newsletter.render.issue import render_issue
from newsletter.render.personalize import Personal, Personalizer
from newsletter.render.placeholders import Placeholders


def personal(name: str = "Anna", **fields: str) -> Personal:
    return Personal(
        email="anna@example.org",
        name=name,
        fields=fields,
        unsubscribe_url="https://nyhetsbrev.example.org/u/TOKEN",
        web_url="https://nyhetsbrev.example.org/test/2020-03/",
    )


def personalizer(tmp_path: Path, intro: str) -> Personalizer:
    return Personalizer(render_issue(make_issue(intro=intro), make_config(tmp_path)))


def test_name_and_fields_are_filled_in(tmp_path: Path) -> None:
    compiled = personalizer(tmp_path, "Hej {{ name }} i {{kommun}}! Din adress: {{ email }}.")
    html, text = compiled.personalize(personal(kommun="Linköping"))
    assert "Hej Anna i Linköping! Din adress: anna@example.org." in html
    # The text part was wrapped before the values were known: compare the words.
    assert "Hej Anna i Linköping! Din adress: anna@example.org." in " ".join(text.split())
    assert compiled.fields >= {"name", "kommun", "email", "unsubscribe_url", "web_url"}


def test_without_a_name_the_greeting_has_no_gap(tmp_path: Path) -> None:
    html, text = personalizer(tmp_path, "Hej {{ name }}! Välkommen.").personalize(personal(""))
    assert "Hej! Välkommen." in html and "Hej! Välkommen." in text
    html, _ = personalizer(tmp_path, "Hej {{ name }}, välkommen.").personalize(personal("  "))
    assert "Hej, välkommen." in html


def test_values_are_escaped_in_html_only(tmp_path: Path) -> None:
    html, text = personalizer(tmp_path, "Hej {{ name }}!").personalize(personal("<Ann & Co>"))
    assert "Hej &lt;Ann &amp; Co&gt;!" in html and "<Ann & Co>" not in html
    assert "Hej <Ann & Co>!" in text


def test_editor_text_cannot_break_the_second_pass(tmp_path: Path) -> None:
    fake = Placeholders(make_issue())("name")  # a placeholder of another issue's content
    intro = f"Mallkod: {{% if x %}} {{{{ 'x' }}}} {{{{name {fake} {{{{ 1 + 1 }}}}"
    _, text = personalizer(tmp_path, intro).personalize(personal())
    assert f"Mallkod: {{% if x %}} {{{{ 'x' }}}} {{{{name {fake} {{{{ 1 + 1 }}}}" in text
    assert "Anna" not in text.split("Mallkod")[1].split("\n\n")[0]


def test_the_web_version_names_nobody(tmp_path: Path) -> None:
    compiled = personalizer(tmp_path, "Hej {{ name }}! Du på {{ organisation }}.")
    html, text = compiled.web_version(
        "https://nyhetsbrev.example.org/test/2020-03/", "https://nyhetsbrev.example.org/test/"
    )
    assert "Hej! Du på." in html and "Hej! Du på." in text
    assert "TOKEN" not in html and "/u/" not in html and ">Avregistrera<" not in html
    assert '<a href="https://nyhetsbrev.example.org/test/"' in html
    assert "Alla nummer av nyhetsbrevet: https://nyhetsbrev.example.org/test/" in text
    assert "Avregistrera dig med länken längst ned i ditt e-postmeddelande." in text


def test_every_placeholder_is_filled(tmp_path: Path) -> None:
    compiled = personalizer(tmp_path, "Hej {{ name }}!")
    placeholders = Placeholders(make_issue(intro="Hej {{ name }}!"))
    html, text = compiled.personalize(personal())
    assert not placeholders.pattern.search(html) and not placeholders.pattern.search(text)
    assert f"z{placeholders.marker}" not in html + text

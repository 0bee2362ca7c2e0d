"""Issues and configurations for the rendering tests, built in Python."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsletter.config import Config, load_config
from newsletter.content.model import Issue

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "issues").glob("*.yaml"))

CONFIG_TOML = """\
base_url = "https://nyhetsbrev.example.org"

[newsletters.test]
name = "Testbrevet"
from_name = "Testbrevet"
from_address = "test@nyhetsbrev.example.org"
reply_to = "test@example.org"
list_id = "test.nyhetsbrev.example.org"
default_list = "test"
brand_color = "#6a2c70"

[newsletters.test.editor]
name = "Rita Redaktör"
email = "rita@example.org"
phone = "08-123 45 67"
organisation = "Sveriges Kommuner och Regioner"
website = "https://www.skr.se"
"""


def make_config(tmp_path: Path, newsletter_extra: str = "") -> Config:
    """newsletter.toml in TMP_PATH with one newsletter, `test`, plus NEWSLETTER_EXTRA lines."""
    path = tmp_path / "newsletter.toml"
    text = CONFIG_TOML.replace(
        "\n\n[newsletters.test.editor]", f"\n{newsletter_extra}\n\n[newsletters.test.editor]"
    )
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def issue_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "newsletter": "test",
        "number": 3,
        "year": 2020,
        "title": "Nyheter i september",
        "preheader": "Webbkurs, rapport och <evenemang>",
        "intro": "Hej {{ name }}! Välkommen till **numret**. Läs [mer här](https://example.org/om?a=1&b=2).",
        "sections": [
            {
                "items": [
                    {
                        "kind": "article",
                        "source": "Linköping",
                        "title": "Linköping tillsammans",
                        "body": "Vill du hjälpa till?\n\n- Ett\n- Två",
                        "links": [{"label": "Läs mer", "url": "https://example.org/linkoping"}],
                    },
                    {
                        "kind": "report",
                        "title": "Geografier som inte syns",
                        "publisher": "Tillväxtverket",
                        "image": {
                            "url": "https://example.org/omslag.png",
                            "alt": "Rapportens omslag",
                        },
                        "links": [
                            {
                                "label": "Ladda ned",
                                "url": "https://example.org/r.pdf",
                                "role": "download",
                            }
                        ],
                    },
                ]
            },
            {
                "title": "Kommande evenemang",
                "items": [
                    {
                        "kind": "course",
                        "source": "SKR",
                        "title": "Webbkurs i omvärldskunskap",
                        "body": "Tre tillfällen med Hans Abrahamsson.",
                        "sessions": [
                            {
                                "date": "2020-08-25",
                                "start": "13:00",
                                "end": "14:00",
                                "label": "Del 1",
                            },
                            {
                                "date": "2020-09-15",
                                "start": "13:00",
                                "end": "14:00",
                                "label": "Del 2",
                            },
                            {
                                "date": "2020-10-20",
                                "start": "13:00",
                                "end": "14:00",
                                "label": "Del 3",
                            },
                        ],
                        "place": "Webbsänt",
                        "audience": "Förtroendevalda och tjänstepersoner",
                        "cost": {"amount": 2500, "vat": "excluded", "unit": "per länk"},
                        "links": [
                            {
                                "label": "Anmäl dig här!",
                                "url": "https://example.org/anmalan?id=7&x=y",
                                "role": "register",
                            },
                            {"label": "Mer information", "url": "https://example.org/kurs"},
                        ],
                    },
                    {
                        "kind": "webinar",
                        "title": "Det demokratiska samtalet",
                        "sessions": [{"date": "2020-12-09"}],
                        "cost": "gratis",
                    },
                ],
            },
        ],
    }
    data.update(changes)
    return data


def make_issue(**changes: Any) -> Issue:
    return Issue.model_validate(issue_data(**changes))

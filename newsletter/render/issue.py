"""An issue rendered once: HTML e-mail, plain text and calendar files.

The pipeline: jinja2 templates -> MJML -> HTML (mjml-python) -> CSS inlined
(premailer) -> checks. The text part is rendered from the model, not from the HTML.
Per-recipient values stay placeholders (see newsletter.render.placeholders).
"""

from __future__ import annotations

__all__ = [
    "BUTTON_LABEL_MAX",
    "REFUSE_BYTES",
    "WARN_BYTES",
    "RenderedIssue",
    "quoted_printable_size",
    "render_issue",
]

import binascii
import logging
import re
from dataclasses import dataclass
from typing import Any

import mjml
from jinja2 import TemplateError, TemplateSyntaxError
from markupsafe import Markup
from premailer import Premailer

from newsletter import urls
from newsletter.config import Config, NewsletterConfig
from newsletter.content.model import EventItem, Issue, Session, effective_editor
from newsletter.errors import RenderError
from newsletter.render import i18n
from newsletter.render.calendar import CalendarEntry, calendar_entries
from newsletter.render.colours import palette
from newsletter.render.markdown import to_html
from newsletter.render.phone import tel_uri
from newsletter.render.placeholders import Placeholders
from newsletter.render.plaintext import CalendarLinks, issue_label, name_in_header, render_text
from newsletter.render.templating import environment, template_folders
from newsletter.translate import _

# Gmail clips a message whose HTML is above about 102 KB (see DELIVERABILITY.md).
WARN_BYTES = 85 * 1024
REFUSE_BYTES = 100 * 1024
# Inboxes fill their preview line with the body's first words after the preheader
# ("Visa i webbläsaren ..."): invisible characters fill it instead.
_PREHEADER_FILLER = Markup("&#847;&zwnj;&nbsp;" * 90)
# The longest label drawn as a button: longer ones wrap to two lines at 320 px.
BUTTON_LABEL_MAX = 24

# The HTML is lxml's serialisation: lower-case names, attribute values in double quotes.
_IMG = re.compile(r"<img [^>]*>")
_ALT = re.compile(r' alt="\s*[^"\s]')
_HTTP_LINK = re.compile(r' (?:href|src)="(http://[^"]+)"')


@dataclass(frozen=True)
class RenderedIssue:
    """The e-mail of one issue, with placeholders for what differs per recipient."""

    issue: Issue
    newsletter: NewsletterConfig
    html: str  # full HTML document containing personalisation placeholders
    text: str  # plain text containing the same placeholders
    calendar: dict[str, str]  # .ics file name -> ics text (CRLF lines)
    warnings: list[str]
    mjml: str

    def html_size(self) -> int:
        """Bytes of the quoted-printable-encoded HTML part."""
        return quoted_printable_size(self.html)


def quoted_printable_size(text: str) -> int:
    """Size of TEXT as a quoted-printable UTF-8 body with CRLF line ends, as sent."""
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return len(encoded) + encoded.count(b"\n")


def render_issue(issue: Issue, config: Config, /) -> RenderedIssue:
    """Render ISSUE for its newsletter; RenderError when it cannot be sent as it is."""
    newsletter = config.newsletter(issue.newsletter)
    placeholders = Placeholders(issue)
    entries = calendar_entries(issue, newsletter)
    calendar = _calendar_links(config, issue, entries)
    context = _context(issue, newsletter, placeholders, calendar)
    source = _mjml(config, newsletter, context)
    html = _inline_css(_compile(source))
    text = render_text(issue, newsletter, placeholders, calendar)
    rendered = RenderedIssue(
        issue=issue,
        newsletter=newsletter,
        html=html,
        text=text,
        calendar={entry.filename: entry.ics for entry in entries},
        warnings=_warnings(html, size := quoted_printable_size(html)),
        mjml=source,
    )
    _check_size(rendered.issue, size)
    _check_unsubscribe(html, text, placeholders)
    return rendered


def _calendar_links(config: Config, issue: Issue, entries: list[CalendarEntry]) -> CalendarLinks:
    """id(item) -> [(session, calendar file address)], in session order."""
    links: CalendarLinks = {}
    for entry in entries:
        url = urls.calendar_url(config, issue.newsletter, issue.slug, entry.filename)
        links.setdefault(id(entry.item), []).append((entry.session, url))
    return links


def _context(
    issue: Issue,
    newsletter: NewsletterConfig,
    placeholders: Placeholders,
    calendar: CalendarLinks,
) -> dict[str, Any]:
    language = issue.language

    def markdown(text: str | None) -> Markup:
        if not text:
            return Markup("")
        return Markup(to_html(placeholders.fill_editor_text(text)))

    def calendar_links(item: EventItem) -> list[tuple[Session, str]]:
        return calendar.get(id(item), [])

    return {
        "issue": issue,
        "newsletter": newsletter,
        "language": language,
        "editor": effective_editor(issue, newsletter),
        "issue_label": issue_label(issue),
        "preheader": issue.preheader or _default_preheader(issue),
        "preheader_filler": _PREHEADER_FILLER,
        "colours": palette(newsletter.brand_color),
        "name_in_header": name_in_header(issue, newsletter),
        "button_label_max": BUTTON_LABEL_MAX,
        "tel_uri": tel_uri,
        "t": lambda key: i18n.label(language, key),
        "ph": placeholders,
        "markdown": markdown,
        "calendar_links": calendar_links,
        "session_parts": lambda session: i18n.session_parts(session, language),
        "format_cost": lambda cost: i18n.format_cost(cost, language),
        "format_date": lambda day: i18n.format_date(day, language),
    }


def _default_preheader(issue: Issue) -> str:
    # Without one, inboxes show the first words of the body: "Visa i webbläsaren".
    titles = [item.title for item in issue.items()]
    text = titles[0]
    for title in titles[1:]:
        if len(text) + len(title) > 140:
            break
        text = f"{text} · {title}"
    return str(text)


def _mjml(config: Config, newsletter: NewsletterConfig, context: dict[str, Any]) -> str:
    env = environment(template_folders(config, newsletter))
    try:
        return env.get_template("issue.mjml").render(context)
    except TemplateSyntaxError as exc:
        raise RenderError(
            _(
                "{value}:{lineno}: template error: {message}. Fix the template, or delete your "
                "copy to use the built-in one."
            ).format(value=exc.filename or exc.name, lineno=exc.lineno, message=exc.message)
        ) from None
    except TemplateError as exc:
        raise RenderError(
            _("template error: {exc}. Check your templates folder.").format(exc=exc)
        ) from None


def _compile(source: str) -> str:
    try:
        # fonts={}: no web fonts fetched from Google when a subscriber opens the message.
        return str(mjml.mjml2html(source, disable_comments=True, fonts={}))
    except ValueError as exc:
        raise RenderError(
            _(
                "the templates produced MJML that does not compile: {exc}. Check the MJML in your"
                " templates folder."
            ).format(exc=exc)
        ) from None


# MJML's reset rules (the first <style>) stay in the head, as the official mjml leaves
# them: inlined, they repeat on every table cell and cost some 7 KB of the size budget.
_MJML_RESET = '<style type="text/css">\n#outlook a'


def _inline_css(html: str) -> str:
    html = html.replace(_MJML_RESET, _MJML_RESET.replace(">", ' data-premailer="ignore">', 1), 1)
    # cssutils logs a warning for every property it does not know (mso-*, -webkit-*):
    # noise for editors, so only its critical messages would get through.
    inlined = Premailer(
        html,
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
        allow_network=False,
        keep_style_tags=True,
        remove_classes=False,
        strip_important=False,
        # premailer writes CSS widths over the width attributes of the elements a rule
        # matches: an image's width="544" became "100%", which Outlook for Windows sizes
        # by the file's own width. MJML sets the attributes Outlook needs itself.
        disable_basic_attributes=["width", "height"],
    ).transform()
    # premailer's lxml serialiser drops the doctype that keeps clients in standards mode.
    return "<!doctype html>\n" + str(inlined).removeprefix("<!doctype html>").lstrip()


def _warnings(html: str, size: int) -> list[str]:
    warnings: list[str] = []
    if size > WARN_BYTES:
        warnings.append(
            _(
                "the HTML is {size:.0f} KB encoded; Gmail clips messages above about 102 KB. "
                "Shorten the texts or move items to a later issue."
            ).format(size=size / 1024)
        )
    for tag in _IMG.findall(html):
        if not _ALT.search(tag):
            warnings.append(
                _("an image has no alt text: {tag}. Describe it with `alt:`.").format(tag=tag[:120])
            )
    for url in dict.fromkeys(_HTTP_LINK.findall(html)):
        warnings.append(
            _("{url} is an http: link; use https:// if the site supports it.").format(url=url)
        )
    return warnings


def _check_unsubscribe(html: str, text: str, placeholders: Placeholders) -> None:
    # Bulk senders must show an unsubscribe link in the body as well as the header.
    link = f'href="{placeholders("unsubscribe_url")}"'
    if link not in html or placeholders("unsubscribe_url") not in text:
        raise RenderError(
            _(
                "the templates lost the unsubscribe link: a template of yours replaces one that "
                "had it. Put back <a href=\"{{ ph('unsubscribe_url') }}\"> (see the built-in "
                "footer.mjml)."
            )
        )


def _check_size(issue: Issue, size: int) -> None:
    if size > REFUSE_BYTES:
        raise RenderError(
            _(
                "{slug}: the HTML is {size:.0f} KB encoded, above the {refuse_bytes} KB limit: "
                "Gmail would cut the message off before the unsubscribe link. Shorten the texts "
                "or move items to a later issue."
            ).format(slug=issue.slug, size=size / 1024, refuse_bytes=REFUSE_BYTES // 1024)
        )

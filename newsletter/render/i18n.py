"""The words and formats readers see, in the issue's language (Babel's CLDR data)."""

from __future__ import annotations

__all__ = [
    "LABELS",
    "format_cost",
    "format_date",
    "format_session",
    "format_time_range",
    "label",
    "session_parts",
]

import datetime as dt
from decimal import Decimal

from babel.dates import format_date as _babel_date
from babel.numbers import format_currency, get_currency_symbol

from newsletter.content.model import Cost, Session
from newsletter.render.signup_words import SIGNUP_LABELS

LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "time": "Tid",
        "place": "Plats",
        "audience": "Målgrupp",
        "cost": "Kostnad",
        "deadline": "Sista anmälningsdag",
        "free": "Gratis",
        "vat_included": "inkl. moms",
        "vat_excluded": "exkl. moms",
        "on_demand": "När det passar dig",
        "add_to_calendar": "Lägg till i kalendern",
        "view_in_browser": "Visa i webbläsaren",
        "unsubscribe": "Avregistrera",
        "unsubscribe_note": "Vill du inte längre få nyhetsbrevet?",
        "archive": "Alla nummer av nyhetsbrevet",
        "web_unsubscribe": "Avregistrera dig med länken längst ned i ditt e-postmeddelande.",
        "issue": "Nr {number} {year}",
        "editor": "Redaktör",
        "phone": "Telefon",
        "contents": "I detta nummer",
        "register": "Anmäl dig",
        "more": "Läs mer",
        "watch": "Se sändningen",
        "replays": "Se repriser",
        "listen": "Lyssna",
        "read": "Läs",
        "download": "Ladda ned",
        "kind_article": "",
        "kind_webcast": "Webbsändning",
        "kind_webinar": "Webbinarium",
        "kind_course": "Kurs",
        "kind_podcast": "Podd",
        "kind_report": "Rapport",
        "kind_event": "Evenemang",
        "test_subject": "[TEST] {subject}",
        "corrected": "· Rättad {date}",
        # The pages of `newsletter serve`.
        "page_newsletters": "Nyhetsbrev",
        "page_feed": "Följ nyhetsbrevet i en flödesläsare (Atom)",
        "page_no_issues": "Inga nummer har publicerats ännu.",
        "page_unsubscribe_title": "Avregistrera dig",
        "page_unsubscribe_question": "Vill du sluta få {name} via e-post?",
        "page_unsubscribe_scope": "Du avregistreras bara från det här nyhetsbrevet.",
        "page_unsubscribe_button": "Avregistrera mig",
        "page_unsubscribed_title": "Du är avregistrerad",
        "page_unsubscribed_text": "Du får inga fler utskick av {name}.",
        "page_undo_question": "Blev det fel?",
        "page_undo_button": "Ångra avregistreringen",
        "page_resubscribed_title": "Du får nyhetsbrevet igen",
        "page_resubscribed_text": "Avregistreringen är ångrad: du får {name} som tidigare.",
        "page_resubscribed_blocked_text": (
            "Avregistreringen är ångrad, men {name} kan ändå inte skickas till din adress just "
            "nu, till exempel för att e-post till den har kommit tillbaka. Kontakta redaktionen "
            "om du vill få nyhetsbrevet igen."
        ),
        "page_invalid_title": "Länken fungerar inte",
        "page_invalid_text": (
            "Länken är ofullständig eller gäller inte längre. Kopiera hela länken från "
            "e-postmeddelandet, eller svara på nyhetsbrevet och be att bli avregistrerad."
        ),
        "page_not_found_title": "Sidan finns inte",
        "page_not_found_text": "Det finns ingen sida på den här adressen. Kontrollera stavningen.",
        "page_method_title": "Det går inte att göra här",
        "page_method_text": (
            "Den här adressen tar inte emot den sortens förfrågan. Använd länken eller "
            "knappen i e-postmeddelandet."
        ),
        "page_too_large_title": "För mycket data",
        "page_too_large_text": "Förfrågan var för stor och ingenting har ändrats.",
        "page_busy_title": "Försök igen om en stund",
        "page_busy_text": "Tjänsten är upptagen och inget har ändrats. Försök igen om en minut.",
        "page_error_title": "Något gick fel",
        "page_error_text": "Ett fel uppstod hos oss och ingenting har ändrats. Försök igen senare.",
    },
    "en": {
        "time": "Time",
        "place": "Place",
        "audience": "Audience",
        "cost": "Cost",
        "deadline": "Register by",
        "free": "Free",
        "vat_included": "incl. VAT",
        "vat_excluded": "excl. VAT",
        "on_demand": "Whenever suits you",
        "add_to_calendar": "Add to calendar",
        "view_in_browser": "View in browser",
        "unsubscribe": "Unsubscribe",
        "unsubscribe_note": "No longer want this newsletter?",
        "archive": "All issues of the newsletter",
        "web_unsubscribe": "Unsubscribe with the link at the end of your e-mail.",
        "issue": "No. {number}, {year}",
        "editor": "Editor",
        "phone": "Phone",
        "contents": "In this issue",
        "register": "Register",
        "more": "Read more",
        "watch": "Watch",
        "replays": "Watch replays",
        "listen": "Listen",
        "read": "Read",
        "download": "Download",
        "kind_article": "",
        "kind_webcast": "Webcast",
        "kind_webinar": "Webinar",
        "kind_course": "Course",
        "kind_podcast": "Podcast",
        "kind_report": "Report",
        "kind_event": "Event",
        "test_subject": "[TEST] {subject}",
        "corrected": "· Corrected {date}",
        "page_newsletters": "Newsletters",
        "page_feed": "Follow the newsletter in a feed reader (Atom)",
        "page_no_issues": "No issues have been published yet.",
        "page_unsubscribe_title": "Unsubscribe",
        "page_unsubscribe_question": "Do you want to stop receiving {name} by e-mail?",
        "page_unsubscribe_scope": "You are unsubscribed from this newsletter only.",
        "page_unsubscribe_button": "Unsubscribe me",
        "page_unsubscribed_title": "You are unsubscribed",
        "page_unsubscribed_text": "You will receive no more issues of {name}.",
        "page_undo_question": "Was that a mistake?",
        "page_undo_button": "Undo the unsubscribe",
        "page_resubscribed_title": "You are subscribed again",
        "page_resubscribed_text": "The unsubscribe is undone: you will receive {name} as before.",
        "page_resubscribed_blocked_text": (
            "The unsubscribe is undone, but {name} still cannot be sent to your address, for "
            "instance because mail to it has bounced. Contact the editors if you want to "
            "receive the newsletter again."
        ),
        "page_invalid_title": "This link does not work",
        "page_invalid_text": (
            "The link is incomplete or no longer valid. Copy the whole link from the e-mail, "
            "or reply to the newsletter and ask to be unsubscribed."
        ),
        "page_not_found_title": "Page not found",
        "page_not_found_text": "There is no page at this address. Check the spelling.",
        "page_method_title": "That cannot be done here",
        "page_method_text": (
            "This address does not accept that kind of request. Use the link or the button "
            "in the e-mail."
        ),
        "page_too_large_title": "Too much data",
        "page_too_large_text": "The request was too large and nothing was changed.",
        "page_busy_title": "Please try again shortly",
        "page_busy_text": "The service is busy and nothing was changed. Try again in a minute.",
        "page_error_title": "Something went wrong",
        "page_error_text": "Something failed on our side and nothing was changed. Try again later.",
    },
}

# Swedish writes times with a point (13.00), as Språkrådet recommends; CLDR now uses a colon.
_TIME_PATTERN = {"sv": "%H.%M", "en": "%H:%M"}
# "2 500 kr", "50 €"; in English "€50" but "SEK 2,500" (a code needs a space).
_AMOUNT_PATTERN = {"sv": "#,##0.##\u00a0¤", "en": "¤#,##0.##"}


def label(language: str, key: str) -> str:
    """The word for KEY in LANGUAGE (Swedish when the language has no such word)."""
    for table in (LABELS, SIGNUP_LABELS):
        words = table.get(language, table["sv"])
        if key in words or key in table["sv"]:
            return words[key] if key in words else table["sv"][key]
    raise KeyError(key)


def format_date(day: dt.date, language: str, *, weekday: bool = True) -> str:
    """'tisdag 15 september 2020' / 'Tuesday 15 September 2020'; without WEEKDAY
    '15 september 2020'."""
    return _babel_date(day, "EEEE d MMMM y" if weekday else "d MMMM y", locale=language)


def format_time_range(start: dt.time | None, end: dt.time | None, language: str) -> str:
    """'13.00–14.00', '13.00' or '' (times are Europe/Stockholm wall-clock times)."""
    pattern = _TIME_PATTERN.get(language, _TIME_PATTERN["sv"])
    if start is None:
        return ""
    if end is None:
        return start.strftime(pattern)
    return f"{start.strftime(pattern)}–{end.strftime(pattern)}"


def session_parts(session: Session, language: str) -> tuple[str, str]:
    """('Del 1: tisdag 25 augusti 2020', '13.00–14.00'): the day, and the time if any."""
    day = format_date(session.date, language)
    day = f"{session.label}: {day}" if session.label else day
    return day, format_time_range(session.start, session.end, language)


def format_session(session: Session, language: str) -> str:
    """'Del 1: tisdag 25 augusti 2020, 13.00–14.00'."""
    day, times = session_parts(session, language)
    return f"{day}, {times}" if times else day


def _format_amount(amount: Decimal, currency: str, language: str) -> str:
    pattern = _AMOUNT_PATTERN.get(language, _AMOUNT_PATTERN["sv"])
    if pattern.startswith("¤") and get_currency_symbol(currency, locale=language).isalpha():
        pattern = pattern.replace("¤", "¤\u00a0")
    if amount != amount.to_integral_value():
        pattern = pattern.replace("0.##", "0.00")
    return format_currency(amount, currency, format=pattern, locale=language, currency_digits=False)


def format_cost(cost: Cost, language: str) -> str:
    """'Gratis', '2 500 kr exkl. moms per länk', with any note after a dash."""
    if cost.free or cost.amount is None:
        parts = [label(language, "free")]
    else:
        parts = [_format_amount(cost.amount, cost.currency, language)]
        if cost.vat:
            parts.append(label(language, f"vat_{cost.vat}"))
        if cost.unit:
            parts.append(cost.unit)
    text = " ".join(parts)
    return f"{text} – {cost.note}" if cost.note else text

"""Did you mean ...? The nearest known name for a misspelt, English or Swedish one."""

from __future__ import annotations

__all__ = ["SYNONYMS", "did_you_mean", "suggestion"]

import difflib
from collections.abc import Iterable

from newsletter.translate import _

# Words an editor may type, in Swedish or in other words, for names the issue file uses.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "title": ("titel", "rubrik", "heading", "rubriken", "namn", "name"),
    "date": ("datum", "dag", "publiceringsdatum"),
    "number": ("nummer", "nr", "no"),
    "year": ("år", "ar", "årgång"),
    "intro": ("ingress", "inledning", "introduction", "lead"),
    "sections": ("avsnitt", "sektioner", "sektion", "section", "delar"),
    "items": ("poster", "artiklar", "inlägg", "item", "notiser", "innehåll"),
    "body": ("text", "brödtext", "innehåll", "content", "beskrivning", "description"),
    "links": ("länkar", "länk", "link"),
    "label": ("etikett", "text", "länktext", "del"),
    "url": ("adress", "href", "länk", "link", "webbadress"),
    "role": ("roll", "typ"),
    "image": ("bild", "img", "picture"),
    "alt": ("alttext", "alt_text", "bildtext"),
    "source": ("källa", "avsändare", "från", "organisation"),
    "byline": ("författare", "skribent", "author", "av"),
    "kind": ("typ", "sort", "type", "slag"),
    "sessions": ("tillfällen", "tid", "tider", "när", "session", "datum", "dates", "when"),
    "start": ("från", "börjar", "starttid", "from"),
    "end": ("slut", "till", "slutar", "sluttid", "to"),
    "place": ("plats", "ort", "var", "location", "where", "venue"),
    "audience": ("målgrupp", "malgrupp", "för", "target"),
    "cost": ("kostnad", "pris", "avgift", "price", "fee"),
    "registration_deadline": ("sista_anmälningsdag", "anmälan", "deadline", "anmälningsdag"),
    "on_demand": ("när_det_passar_dig", "ondemand", "on-demand"),
    "editor": ("redaktör", "redaktor", "kontakt", "contact"),
    "language": ("språk", "sprak", "lang"),
    "subject": ("ämne", "ämnesrad", "amne"),
    "preheader": ("förhandstext", "pre-header", "summary"),
    "newsletter": ("nyhetsbrev", "brev"),
    "amount": ("belopp", "summa", "pris", "kronor", "kr"),
    "free": ("gratis", "kostnadsfritt", "kostnadsfri"),
    "vat": ("moms", "mva"),
    "currency": ("valuta",),
    "unit": ("enhet", "per"),
    "note": ("anmärkning", "notering", "kommentar", "not"),
    "email": ("e-post", "epost", "mejl", "mail", "e-mail"),
    "phone": ("telefon", "tel", "telefonnummer"),
    "website": ("webbplats", "hemsida", "webb", "web"),
    "publisher": ("utgivare", "förlag"),
    "width": ("bredd",),
    # Values, not only keys:
    "article": ("artikel", "nyhet", "notis", "news"),
    "webcast": ("webbsändning", "sändning", "webbsandning", "broadcast"),
    "webinar": ("webbinarium", "webbseminarium", "webinarium"),
    "course": ("kurs", "webbkurs", "utbildning"),
    "podcast": ("podd", "poddavsnitt"),
    "report": ("rapport", "lästips", "publikation", "reading"),
    "event": ("evenemang", "konferens", "seminarium", "träff"),
    "register": ("anmälan", "anmäl", "signup"),
    "more": ("mer", "läs_mer", "info", "information"),
    "watch": ("titta", "se"),
    "replays": ("repriser", "repris"),
    "listen": ("lyssna",),
    "read": ("läs",),
    "included": ("inklusive", "inkl", "ink"),
    "excluded": ("exklusive", "exkl", "exk"),
    "SEK": ("kr", "kronor", "sek"),
    "sv": ("svenska", "swedish", "se"),
    "en": ("engelska", "english", "eng"),
}


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The choice WORD most likely stands for, or None when nothing is close."""
    options = list(choices)
    lowered = word.strip().lower().replace(" ", "_")
    for option in options:
        if option.lower() == lowered:
            return option
    for option in options:
        if lowered in SYNONYMS.get(option, ()):
            return option
    starting = [option for option in options if option.lower().startswith(lowered)]
    if len(lowered) >= 3 and len(starting) == 1:
        return starting[0]
    close = difflib.get_close_matches(lowered, options, n=1, cutoff=0.6)
    return close[0] if close else None


def suggestion(word: str, choices: Iterable[str]) -> str:
    """'did you mean `x`?', or the list of CHOICES when nothing is close."""
    options = list(choices)
    if (best := did_you_mean(word, options)) is not None:
        return _("did you mean `{best}`?").format(best=best)
    return _("use one of: {choices}").format(choices=", ".join(f"`{o}`" for o in options))

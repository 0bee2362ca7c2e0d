"""The words of signing up, in Swedish and English: the form, its answers, the
confirmation pages and the confirmation mail. `i18n.label` looks here after LABELS."""

from __future__ import annotations

__all__ = ["SIGNUP_LABELS"]

SIGNUP_LABELS: dict[str, dict[str, str]] = {
    "sv": {
        "signup_title": "Prenumerera på {name}",
        "signup_intro": (
            "Fyll i din e-postadress. Du får ett e-postmeddelande med en länk som du "
            "bekräftar prenumerationen med."
        ),
        "signup_email": "E-postadress",
        "signup_email_hint": "Till exempel namn@exempel.se",
        "signup_name": "Namn (frivilligt)",
        "signup_button": "Prenumerera",
        "signup_consent": (
            "Jag vill få {name} via e-post. Jag kan avsluta prenumerationen när jag vill med "
            "länken som finns i varje utskick."
        ),
        "signup_privacy": "Så behandlar vi dina personuppgifter",
        "signup_honeypot": "Lämna det här fältet tomt",
        "signup_error": "Fel",
        "signup_error_email": "Skriv en giltig e-postadress, till exempel namn@exempel.se.",
        "signup_error_ascii": (
            "Adressen har bokstäver som å, ä eller ö före @ och kan tyvärr inte ta emot "
            "nyhetsbrevet. Skriv en annan adress."
        ),
        "signup_error_missing": "Kontrollera uppgifterna och tryck på Prenumerera.",
        "signup_error_invalid": (
            "Formuläret kunde inte läsas. Kontrollera uppgifterna och tryck på Prenumerera igen."
        ),
        "signup_error_too_fast": (
            "Formuläret skickades väldigt snabbt. Vänta några sekunder och tryck på "
            "Prenumerera igen."
        ),
        "signup_error_too_old": (
            "Formuläret har varit öppet länge. Kontrollera uppgifterna och tryck på "
            "Prenumerera igen."
        ),
        "signup_check_title": "Titta i din inkorg",
        "signup_check_text": (
            "Tack för din anmälan. Om {address} inte redan prenumererar på {name} får du snart "
            "ett e-postmeddelande med en länk. Bekräfta prenumerationen med länken inom {days} "
            "dagar; utan bekräftelse skickar vi ingenting mer."
        ),
        "signup_check_help": (
            "Inget meddelande? Titta i skräpposten, eller kontrollera att adressen är rätt "
            "stavad och anmäl dig igen."
        ),
        "confirm_title": "Bekräfta din prenumeration",
        "confirm_question": "Tryck på knappen för att börja få {name}.",
        "confirm_button": "Bekräfta prenumerationen",
        "confirmed_title": "Tack! Nu prenumererar du",
        "confirmed_text": (
            "Du får {name} från och med nästa utskick. Du kan avsluta prenumerationen när du "
            "vill med länken i varje utskick."
        ),
        "confirmed_blocked_text": (
            "Prenumerationen är bekräftad, men {name} kan ändå inte skickas till din adress "
            "just nu, till exempel för att e-post till den har kommit tillbaka. Kontakta "
            "redaktionen om du vill få nyhetsbrevet."
        ),
        "already_title": "Du prenumererar redan",
        "already_text": (
            "Prenumerationen på {name} är redan bekräftad. Du behöver inte göra något mer."
        ),
        "page_confirm_invalid_title": "Bekräftelselänken fungerar inte",
        "page_confirm_invalid_text": (
            "Länken är ofullständig eller har slutat gälla. Anmäl dig igen i formuläret, så "
            "får du en ny länk."
        ),
        "page_too_many_title": "För många anmälningar",
        "page_too_many_text": (
            "Vi har fått många anmälningar härifrån på kort tid och tar inte emot fler just nu. "
            "Försök igen om en timme."
        ),
        "page_bad_form_title": "Formuläret kunde inte läsas",
        "page_bad_form_text": (
            "Anmälan kom i en form som vi inte kan läsa, och ingenting har ändrats. Använd "
            "formuläret på webbplatsen."
        ),
        "mail_subject": "Bekräfta din prenumeration på {name}",
        "mail_greeting": "Hej!",
        "mail_greeting_name": "Hej {person}!",
        "mail_text": (
            "Någon, förhoppningsvis du, har anmält {address} till {name}. Bekräfta att du vill "
            "få nyhetsbrevet:"
        ),
        "mail_button": "Bekräfta prenumerationen",
        "mail_expiry": "Länken gäller i {days} dagar.",
        "mail_ignore": (
            "Var det inte du? Då kan du bortse från meddelandet: utan bekräftelse får du inga "
            "utskick, och anmälan tas bort efter {days} dagar."
        ),
        "mail_privacy": "Så behandlar vi dina personuppgifter",
        "mail_regards": "Hälsningar",
    },
    "en": {
        "signup_title": "Subscribe to {name}",
        "signup_intro": (
            "Enter your e-mail address. You will get an e-mail with a link to confirm your "
            "subscription with."
        ),
        "signup_email": "E-mail address",
        "signup_email_hint": "For example name@example.org",
        "signup_name": "Name (optional)",
        "signup_button": "Subscribe",
        "signup_consent": (
            "I want to receive {name} by e-mail. I can unsubscribe whenever I want with the "
            "link in every issue."
        ),
        "signup_privacy": "How we handle your personal data",
        "signup_honeypot": "Leave this field empty",
        "signup_error": "Error",
        "signup_error_email": "Enter a valid e-mail address, for example name@example.org.",
        "signup_error_ascii": (
            "The address has letters such as å, ä or ö before the @ and sadly cannot receive "
            "the newsletter. Enter another address."
        ),
        "signup_error_missing": "Check your details and press Subscribe.",
        "signup_error_invalid": (
            "The form could not be read. Check your details and press Subscribe again."
        ),
        "signup_error_too_fast": (
            "The form was sent very quickly. Wait a few seconds and press Subscribe again."
        ),
        "signup_error_too_old": (
            "The form has been open for a long time. Check your details and press Subscribe again."
        ),
        "signup_check_title": "Check your inbox",
        "signup_check_text": (
            "Thank you for signing up. Unless {address} already subscribes to {name}, you will "
            "soon get an e-mail with a link. Confirm your subscription with the link within "
            "{days} days; without a confirmation we send nothing more."
        ),
        "signup_check_help": (
            "No message? Look in your spam folder, or check that the address is spelt right "
            "and sign up again."
        ),
        "confirm_title": "Confirm your subscription",
        "confirm_question": "Press the button to start receiving {name}.",
        "confirm_button": "Confirm my subscription",
        "confirmed_title": "Thank you! You are subscribed",
        "confirmed_text": (
            "You will receive {name} from the next issue on. You can unsubscribe whenever you "
            "want with the link in every issue."
        ),
        "confirmed_blocked_text": (
            "Your subscription is confirmed, but {name} still cannot be sent to your address "
            "for now, for instance because mail to it has bounced. Contact the editors if you "
            "want to receive the newsletter."
        ),
        "already_title": "You are already subscribed",
        "already_text": "Your subscription to {name} is already confirmed. Nothing more to do.",
        "page_confirm_invalid_title": "This confirmation link does not work",
        "page_confirm_invalid_text": (
            "The link is incomplete or no longer valid. Sign up again in the form and you will "
            "get a new link."
        ),
        "page_too_many_title": "Too many sign-ups",
        "page_too_many_text": (
            "We have received many sign-ups from here in a short time and take no more for now. "
            "Try again in an hour."
        ),
        "page_bad_form_title": "The form could not be read",
        "page_bad_form_text": (
            "The sign-up came in a form we cannot read, and nothing was changed. Use the form "
            "on the website."
        ),
        "mail_subject": "Confirm your subscription to {name}",
        "mail_greeting": "Hello,",
        "mail_greeting_name": "Hello {person},",
        "mail_text": (
            "Someone, hopefully you, has signed {address} up for {name}. Confirm that you want "
            "to receive the newsletter:"
        ),
        "mail_button": "Confirm my subscription",
        "mail_expiry": "The link is valid for {days} days.",
        "mail_ignore": (
            "Not you? Then ignore this message: without a confirmation you receive nothing, "
            "and the sign-up is deleted after {days} days."
        ),
        "mail_privacy": "How we handle your personal data",
        "mail_regards": "Kind regards",
    },
}

"""Telephone numbers as `tel:` links a phone can call (RFC 3966)."""

from __future__ import annotations

__all__ = ["tel_uri"]

import re

_COUNTRY = "46"  # the numbers editors write without a country code are Swedish
_ALLOWED = re.compile(r"^\+?[\d\s\-().]+$")


def tel_uri(number: str, /) -> str | None:
    """'08-452 74 35' -> 'tel:+4684527435'; None for text that is not a phone number."""
    number = number.strip()
    if not _ALLOWED.match(number):
        return None
    digits = re.sub(r"\D", "", number)
    if number.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif digits.startswith("0"):
        # RFC 3966 section 5.1.4: a global number starts with + and the country code;
        # the national trunk prefix 0 is dropped.
        international = _COUNTRY + digits[1:]
    else:
        return None
    return f"tel:+{international}" if 7 <= len(international) <= 15 else None

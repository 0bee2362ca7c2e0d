"""One exception tree: every error a user can cause is a NewsletterError.

Each message says where the problem is (file:line:col, list row, SMTP host and
reply) and what to do about it. The CLI prints the message and exits non-zero;
no traceback reaches the user.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "IssueFileError",
    "Location",
    "NewsletterError",
    "RecipientError",
    "RenderError",
    "SendError",
    "StateError",
    "SubscriberError",
    "TokenError",
    "TransportError",
]

from dataclasses import dataclass


class NewsletterError(Exception):
    """Base class of every error the user can cause or fix."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file: 1-based line and column; 0 means the whole line (or file)."""

    path: str
    line: int
    column: int = 0
    field: str = ""
    message: str = ""

    def __str__(self) -> str:
        place = self.path
        if self.line:
            place += f":{self.line}"
        if self.line and self.column:
            place += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{place}:{field} {self.message}"


class LocatedError(NewsletterError):
    """An error made of one or more located problems, printed one per line."""

    def __init__(self, problems: list[Location]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(NewsletterError):
    """newsletter.toml or an environment variable is wrong."""


class IssueFileError(LocatedError):
    """An issue YAML file is invalid; carries every problem found in it."""


class SubscriberError(NewsletterError):
    """A subscriber list cannot be used."""


class StateError(NewsletterError):
    """The state database cannot be opened, read or written.

    `kind` names the cause for code that answers differently to each (the web side's
    /health): full, read-only, damaged, busy, unavailable.
    """

    def __init__(self, message: str, /, *, kind: str = "unavailable") -> None:
        super().__init__(message)
        self.kind = kind


class TokenError(NewsletterError):
    """An unsubscribe token is forged, tampered with or for another newsletter."""


class RenderError(NewsletterError):
    """An issue cannot be rendered (template error, message too large, ...)."""


class RecipientError(NewsletterError):
    """One recipient's message cannot be built (an address or a value in their row):
    that row fails with the reason, the send goes on."""


class SendError(NewsletterError):
    """A send cannot start or must stop (SMTP refused, policy rejection, ...)."""


class TransportError(SendError):
    """The mail server cannot be reached or used: connection, TLS, login, or it hung up."""

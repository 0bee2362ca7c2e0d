"""The public web side: one-click unsubscribe, the web version of issues, the archive."""

from __future__ import annotations

__all__ = ["create_app"]

from newsletter.web.app import create_app

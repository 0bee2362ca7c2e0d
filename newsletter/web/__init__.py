"""Stage 6, the public web side (`newsletter serve`, `archive build`): one-click unsubscribe,
the web version of issues, the archive and its feeds.

Imports the shared basics and the stages before it. See ARCHITECTURE.md.
"""

from __future__ import annotations

__all__ = ["create_app"]

from newsletter.web.app import create_app

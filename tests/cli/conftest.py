"""What the CLI tests share: the example project as the working folder."""

from pathlib import Path

import pytest
from projects import example_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example project in TMP_PATH, the working folder; no settings from the
    environment say where newsletter.toml or an SMTP server is. A test file may define
    a `project` of its own."""
    example_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("NEWSLETTER_CONFIG", "NEWSLETTER_SMTP_HOST", "NEWSLETTER_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path

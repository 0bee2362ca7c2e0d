"""A new project, as `newsletter init` writes it: newsletter.toml with one newsletter, the
issues/ and subscribers/ folders, an example list as Excel saves it, and a .gitignore.

Nothing that exists is overwritten: a folder that holds a newsletter.toml already is
refused, and an existing list or .gitignore is kept (the .gitignore gets the missing lines).
The comments of newsletter.toml and the example list's headers are in the editor's language.
"""

from __future__ import annotations

__all__ = [
    "IGNORED",
    "NewProject",
    "Written",
    "check_key",
    "check_sender",
    "config_text",
    "example_list",
    "key_from_name",
    "write_project",
]

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from email.headerregistry import Address
from pathlib import Path

from newsletter.config import CONFIG_NAME, key_problem, load_config_text
from newsletter.errors import ConfigError
from newsletter.fileio import describe_os_error, write_new
from newsletter.translate import _
from newsletter.valuechecks import normalise_email

IGNORED = (".newsletter/", "build/", "outbox/")


@dataclass(frozen=True, slots=True)
class NewProject:
    """What the editor chose: the newsletter's key, name, sender and language."""

    key: str
    name: str
    from_address: str
    language: str = "sv"

    @property
    def domain(self) -> str:
        return self.from_address.rpartition("@")[2]


@dataclass(slots=True)
class Written:
    """The files `write_project` made, and those it found and kept."""

    folder: Path
    config: Path
    list_file: Path
    made: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def key_from_name(name: str, /) -> str:
    """A newsletter key from its name: "Internationellt arbete i Hässleholm" →
    "internationellt-arbete-i-hassleholm" (it is part of the web addresses)."""
    text = unicodedata.normalize("NFKD", name.lower())
    ascii_text = "".join(ch for ch in text if not unicodedata.combining(ch))
    key = re.sub(r"[^a-z0-9]+", "-", ascii_text.encode("ascii", "ignore").decode()).strip("-")
    return key[:40].rstrip("-") or "nyhetsbrev"


def check_key(key: str, /) -> str:
    """KEY when it can name a newsletter; ConfigError saying what to change otherwise."""
    if problem := key_problem(key):
        raise ConfigError(problem)
    return key


def check_sender(address: str, /) -> str:
    """ADDRESS normalised, when it can be a sender; ConfigError in plain words otherwise."""
    try:
        return normalise_email(address.strip())
    except ValueError as exc:
        raise ConfigError(
            _("{address!r} cannot be the sender's address: {reason}").format(
                address=address, reason=exc
            )
        ) from None


def write_project(folder: Path, project: NewProject, /) -> Written:
    """Write a new project for PROJECT into FOLDER (made if need be)."""
    config_path = folder / CONFIG_NAME
    if config_path.exists():
        raise ConfigError(
            _(
                "{path} exists already: {folder} is a project. Edit newsletter.toml to add "
                "another newsletter (a [newsletters.KEY] section), or start the new project "
                "in another folder: newsletter init FOLDER"
            ).format(path=config_path, folder=folder)
        )
    text = config_text(project)
    # The checks newsletter.toml gets when it is read, before anything is written.
    load_config_text(text, config_path)
    list_file = folder / "subscribers" / f"{project.key}.csv"
    written = Written(folder, config_path, list_file)
    try:
        for sub in ("issues", "subscribers"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        _create(written, config_path, text.encode("utf-8"))
        _create(written, list_file, example_list(project.language))
        _gitignore(written, folder / ".gitignore")
    except OSError as exc:
        raise ConfigError(
            _("{path}: cannot write it: {reason}.").format(
                path=exc.filename or folder, reason=describe_os_error(exc)
            )
        ) from None
    return written


def _create(written: Written, path: Path, data: bytes) -> None:
    try:
        write_new(path, data)
    except FileExistsError:
        written.kept.append(path)
    else:
        written.made.append(path)


def _gitignore(written: Written, path: Path) -> None:
    present = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    missing = [line for line in IGNORED if line not in present and line.rstrip("/") not in present]
    if not missing:
        written.kept.append(path)
        return
    comment = _("# What newsletter makes and keeps for itself: never in git.")
    lines = [*present, *([""] if present else []), comment, *missing]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (written.kept if present else written.made).append(path)


def example_list(language: str, /) -> bytes:
    """A list of one example subscriber as Swedish Excel saves CSV: UTF-8 with a BOM, `;`
    between the cells, CRLF line ends."""
    if language == "sv":
        rows = [["E-post", "Namn", "Kommun"], ["anna.andersson@example.org", "Anna Andersson",
                                                 "Hässleholm"]]  # fmt: skip
    else:
        rows = [["Email", "Name", "Municipality"], ["anna.andersson@example.org",
                                                    "Anna Andersson", "Hässleholm"]]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def config_text(project: NewProject, /) -> str:
    """newsletter.toml for PROJECT, its comments in the editor's language."""
    sender = Address(addr_spec=project.from_address)
    return _TEMPLATE.format(
        head=_comment(
            _(
                "newsletter.toml: the newsletters of this folder, and how they are sent. "
                "Every setting can be set from the environment as well (NEWSLETTER_SMTP_HOST, "
                "...). Passwords and keys never go in this file: set NEWSLETTER_SMTP_PASSWORD "
                "and NEWSLETTER_SECRET in the environment."
            )
        ),
        base_url=_comment(
            _(
                "The public address of `newsletter serve` (unsubscribe links and web versions "
                "point here). Set it to your server's https address before the first real send."
            )
        ),
        smtp=_comment(
            _(
                "The mail server (relay) that sends the messages. While host is empty, "
                "`newsletter send` writes one .eml file per subscriber into outbox/ instead: "
                "a rehearsal. Ask your IT department for the host, port and login."
            )
        ),
        newsletter=_comment(
            _(
                "The newsletter. Its key ({key}) is part of its web addresses and names its "
                "issues; default_list is the file subscribers/{key}.csv."
            ).format(key=project.key)
        ),
        editor=_comment(
            _("Who readers can turn to, shown at the end of every issue (remove the #).")
        ),
        key=project.key,
        name=_toml(project.name),
        from_address=_toml(project.from_address),
        list_id=_toml(f"{project.key}.{sender.domain}"),
        language=_toml(project.language),
    )


def _comment(text: str) -> str:
    import textwrap

    return "\n".join(f"# {line}" for line in textwrap.wrap(text, width=86))


def _toml(value: str) -> str:
    """VALUE as a TOML basic string."""
    import json

    # JSON's escapes of a string are valid in a TOML basic string.
    return json.dumps(value, ensure_ascii=False)


_TEMPLATE = """{head}

{base_url}
base_url = "http://localhost:8000"
state_dir = ".newsletter"
outbox = "outbox"

{smtp}
[smtp]
host = ""
security = "starttls"
port = 587
username = ""
concurrency = 4
per_minute = 0

{newsletter}
[newsletters.{key}]
name = {name}
from_name = {name}
from_address = {from_address}
reply_to = {from_address}
list_id = {list_id}
default_list = "{key}"
language = {language}
brand_color = "#1f4e79"

{editor}
# [newsletters.{key}.editor]
# name = "Förnamn Efternamn"
# email = {from_address}
# phone = "0451-00 00 00"
# organisation = "Kommunen"
"""

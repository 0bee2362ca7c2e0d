"""newsletter.toml and its environment overrides.

Every setting can be overridden by an environment variable: `NEWSLETTER_<NAME>` for
the top-level ones, `NEWSLETTER_<SECTION>_<NAME>` for those in a section
(`NEWSLETTER_SMTP_HOST`, `NEWSLETTER_DKIM_SELECTOR`, ...). Secrets are read from
the environment only (or from a file it names); a config file holding one is refused.
Longer than most modules on purpose: every setting and its check is on this one page.
"""

from __future__ import annotations

__all__ = [
    "CONFIG_NAME",
    "BouncesSettings",
    "CheckSettings",
    "Config",
    "Contact",
    "DkimSettings",
    "NewsletterConfig",
    "SignupSettings",
    "SmtpSettings",
    "WebSettings",
    "find_config",
    "key_problem",
    "load_config",
    "load_config_text",
    "require_config",
]

import ipaddress
import os
import re
import tomllib
from email.headerregistry import Address
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from newsletter.errors import ConfigError
from newsletter.fileio import UnreadableFile, read_regular
from newsletter.translate import N_, _
from newsletter.values import (
    BaseUrl,
    EmailAddress,
    HeaderText,
    Language,
    PlainText,
    SafeUrl,
    StateUrl,
)

CONFIG_NAME = "newsletter.toml"
ENV_CONFIG = "NEWSLETTER_CONFIG"
_MAX_CONFIG_BYTES = 1_000_000

# Keys that hold secrets: refused in the file, read from the environment only.
_SECRET_KEYS = {"password", "secret", "private_key"}


class _Section(BaseSettings):
    """A settings section: values from the file, each overridable by the environment."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, as operators expect.
        return (env_settings, init_settings)


def _secret_from_env(name: str) -> SecretStr | None:
    """Read NAME, or the file named by NAME_FILE (kept outside the repository)."""
    if value := os.environ.get(name):
        return SecretStr(value)
    if path := os.environ.get(f"{name}_FILE"):
        try:
            return SecretStr(Path(path).read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ConfigError(
                _("{name}_FILE={path}: cannot read it: {strerror}").format(
                    name=name, path=path, strerror=exc.strerror
                )
            ) from None
    return None


class SmtpSettings(_Section):
    """How to reach the SMTP relay. An empty host means: write .eml files to the outbox."""

    model_config = SettingsConfigDict(env_prefix="NEWSLETTER_SMTP_")

    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "starttls"
    username: str = ""
    timeout: float = Field(default=30.0, gt=0)
    concurrency: int = Field(default=4, ge=1, le=64)
    per_second: float = Field(default=0, ge=0, description="0 means no limit")
    per_minute: int = Field(default=0, ge=0)
    per_hour: int = Field(default=0, ge=0)
    per_day: int = Field(default=0, ge=0)
    # From this many messages on, a send reads its rows and builds its messages in a
    # helper process, on the machine's other core; 0: never.
    helper_from: int = Field(default=1000, ge=0)

    @property
    def password(self) -> SecretStr | None:
        return _secret_from_env("NEWSLETTER_SMTP_PASSWORD")

    @property
    def effective_port(self) -> int:
        # RFC 8314: 465 for implicit TLS; RFC 6409: 587 for submission; 25 for plain relay.
        if self.port:
            return self.port
        return {"tls": 465, "starttls": 587, "none": 25}[self.security]

    @property
    def is_loopback(self) -> bool:
        return self.host in {"localhost", "::1"} or self.host.startswith("127.")


class DkimSettings(_Section):
    """DKIM signing: on when both a selector and a key file are set."""

    model_config = SettingsConfigDict(env_prefix="NEWSLETTER_DKIM_")

    selector: str = ""
    key_file: str = ""  # an RSA key (2048 bits)
    domain: str = ""
    # RFC 8463: an Ed25519 signature beside the RSA one, with a selector of its own.
    ed25519_selector: str = ""
    ed25519_key_file: str = ""

    @model_validator(mode="after")
    def _ed25519_complete(self) -> DkimSettings:
        if bool(self.ed25519_selector) != bool(self.ed25519_key_file):
            raise ValueError(
                "an Ed25519 signature needs both ed25519_selector and ed25519_key_file"
            )
        if self.ed25519_key_file and not self.enabled:
            raise ValueError(
                "the Ed25519 signature goes beside an RSA one (receivers that do not know "
                "Ed25519 check that): set selector and key_file too"
            )
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.selector and self.key_file)


class BouncesSettings(_Section):
    """What `bounces import` counts, and where bounces come back to."""

    model_config = SettingsConfigDict(env_prefix="NEWSLETTER_BOUNCES_")

    soft_limit: int = Field(default=3, ge=1)
    # VERP: each message's envelope sender is RETURN_PATH with a token for its recipient,
    # `bounces+TOKEN@example.org`. Only where the relay allows any envelope sender.
    return_path: EmailAddress | None = None


class CheckSettings(_Section):
    """How `newsletter check` (and the check before every send) reaches the network."""

    model_config = SettingsConfigDict(env_prefix="NEWSLETTER_CHECK_")

    # host or host:port, comma-separated; empty: the system's resolvers (/etc/resolv.conf).
    nameservers: str = ""
    timeout: float = Field(default=10.0, gt=0, le=120)
    per_host: int = Field(default=3, ge=1, le=16)
    spamassassin: bool = True

    @property
    def nameserver_list(self) -> list[tuple[str, int]]:
        """The nameservers as (address, port): `9.9.9.9`, `127.0.0.1:5353`, `[::1]:5353`."""
        return [_host_port(item.strip()) for item in self.nameservers.split(",") if item.strip()]


def _host_port(item: str) -> tuple[str, int]:
    if item.startswith("["):
        host, _bracket, port = item[1:].partition("]")
        port = port.removeprefix(":")
    elif item.count(":") == 1:
        host, _colon, port = item.partition(":")
    else:
        host, port = item, ""
    return host, int(port) if port.isdigit() else 53


class SignupSettings(_Section):
    """Readers signing themselves up on the web: how long a confirmation link lives, and
    the limits against bots and against mail-bombing someone else's address."""

    model_config = SettingsConfigDict(env_prefix="NEWSLETTER_SIGNUP_")

    expiry_days: int = Field(default=7, ge=1, le=30)
    mails_per_address: int = Field(default=3, ge=1, le=20, description="per 24 hours")
    per_client_per_hour: int = Field(default=10, ge=1, le=10_000)


class WebSettings(_Section):
    """`newsletter serve`: which reverse proxies may name the client (X-Forwarded-For)."""

    model_config = SettingsConfigDict(env_prefix="NEWSLETTER_WEB_")

    # None: uvicorn's default, FORWARDED_ALLOW_IPS or else this machine (127.0.0.1, ::1).
    trusted_proxies: Annotated[list[str] | None, NoDecode] = None

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        # From the environment as a plain list: NEWSLETTER_WEB_TRUSTED_PROXIES="10.0.0.5, ::1".
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    _(
                        "{item!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                    ).format(item=item)
                ) from None
        return value


class _General(_Section):
    model_config = SettingsConfigDict(env_prefix="NEWSLETTER_")

    base_url: BaseUrl = "http://localhost:8000"
    state_dir: str = ".newsletter"
    # Absent: the SQLite file in state_dir. sqlite:///PATH or postgresql://USER@HOST/DB.
    state_url: StateUrl = ""
    outbox: str = "outbox"
    subscribers_dir: str = "subscribers"
    issues_dir: str = "issues"


class Contact(BaseModel):
    """An editor or contact block: who readers can turn to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: HeaderText | None = None
    email: EmailAddress | None = None
    phone: PlainText | None = None
    organisation: PlainText | None = None
    website: SafeUrl | None = None


class NewsletterConfig(BaseModel):
    """One newsletter: who sends it, to which list, in which language and colours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    name: HeaderText
    from_name: HeaderText
    from_address: EmailAddress
    reply_to: EmailAddress
    list_id: HeaderText = Field(description="RFC 2919 list id, e.g. medborgardialog.example.org")
    default_list: PlainText | list[PlainText]
    language: Language = "sv"
    brand_color: str = Field(default="#1f4e79", pattern=r"^#[0-9a-fA-F]{6}$")
    logo: SafeUrl | None = None
    logo_alt: HeaderText | None = None
    templates: str | None = None
    feedback_id: HeaderText | None = None
    editor: Contact = Contact()
    # Sign-up on the web (GET /KEY/subscribe): off until switched on, and only with the
    # address of the privacy notice readers must be shown (GDPR art. 13).
    privacy_url: SafeUrl | None = None
    consent_text: PlainText | None = Field(default=None, max_length=1000)
    signup: bool = False

    @model_validator(mode="after")
    def _list_id_is_a_domain(self) -> NewsletterConfig:
        if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", self.list_id):
            raise ValueError(_("list_id must look like a domain name, e.g. news.example.org"))
        return self

    @model_validator(mode="after")
    def _lists_named(self) -> NewsletterConfig:
        if not self.default_lists:
            raise ValueError(_("default_list must name at least one list"))
        return self

    @field_validator("signup")
    @classmethod
    def _signup_has_a_privacy_notice(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("privacy_url"):
            raise ValueError(
                _(
                    "sign-up needs privacy_url, the address of the page that tells readers how "
                    "their data is handled (GDPR art. 13), e.g. privacy_url = "
                    '"https://www.kommun.se/personuppgifter"'
                )
            )
        return value

    @property
    def default_lists(self) -> tuple[str, ...]:
        """The list names of `default_list`, which may name one list or several."""
        names = [self.default_list] if isinstance(self.default_list, str) else self.default_list
        return tuple(dict.fromkeys(names))

    @property
    def sender(self) -> Address:
        user, _at, domain = self.from_address.rpartition("@")
        return Address(display_name=self.from_name, username=user, domain=domain)

    @property
    def sender_domain(self) -> str:
        return self.from_address.rpartition("@")[2]


class Config(BaseModel):
    """The whole configuration; paths are absolute, resolved against the file's folder."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path | None
    root: Path
    base_url: str
    state_dir: Path
    state_url: str  # "" for the SQLite file in state_dir
    outbox: Path
    subscribers_dir: Path
    issues_dir: Path
    smtp: SmtpSettings
    dkim: DkimSettings
    bounces: BouncesSettings
    newsletters: dict[str, NewsletterConfig]
    signup: SignupSettings = SignupSettings()
    web: WebSettings = WebSettings()
    check: CheckSettings = Field(default_factory=CheckSettings)

    @property
    def secret(self) -> SecretStr | None:
        return _secret_from_env("NEWSLETTER_SECRET")

    @property
    def state_password(self) -> SecretStr | None:
        """The password of a PostgreSQL state database (else libpq's PGPASSFILE decides)."""
        return _secret_from_env("NEWSLETTER_STATE_PASSWORD")

    def newsletter(self, key: str) -> NewsletterConfig:
        """The newsletter named KEY, or a ConfigError listing the ones there are."""
        try:
            return self.newsletters[key]
        except KeyError:
            known = ", ".join(sorted(self.newsletters)) or "none"
            where = self.path or CONFIG_NAME
            raise ConfigError(
                _(
                    "{where}: there is no newsletter {key!r} (configured: {known}). Add a "
                    "[newsletters.{key}] section or fix the name."
                ).format(where=where, key=key, known=known)
            ) from None


def find_config(start: Path | None = None) -> Path | None:
    """NEWSLETTER_CONFIG, else newsletter.toml in START (the working folder) or above."""
    if env := os.environ.get(ENV_CONFIG):
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    return None


def load_config(path: Path | None = None) -> Config:
    """Load PATH (or the one find_config finds); without a file, the built-in defaults."""
    path = path or find_config()
    if path is None:
        return _build(None, Path.cwd(), {})
    try:
        text = read_regular(path, limit=_MAX_CONFIG_BYTES, what=N_("a configuration file")).decode()
    except UnreadableFile as exc:
        raise ConfigError(
            _("{path}: cannot read the configuration: {reason}").format(
                path=path, reason=exc.reason
            )
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            _("{path}: is not UTF-8 text; save it as UTF-8.").format(path=path)
        ) from None
    return load_config_text(text, path)


def load_config_text(text: str, path: Path, /) -> Config:
    """The configuration in TEXT, as if read from PATH (messages name PATH and its lines)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    _refuse_secrets(path, text, data)
    return _build(path, path.resolve().parent, data, text)


def require_config(path: Path | None = None, /, *, start: Path | None = None) -> Config:
    """The project's newsletter.toml: PATH, else the one find_config finds from START.

    Unlike load_config, there are no built-in defaults to fall back on: without a file the
    ConfigError says where none was found and how to start a project (`newsletter init`).
    """
    found = path or find_config(start)
    if found is None:
        folder = (start or Path.cwd()).resolve()
        raise ConfigError(
            _(
                "There is no {name} in {folder} or in any folder above it, so there is no "
                "newsletter to work on. Start a project with `newsletter init` (see "
                "`newsletter init --help`), go to the folder of one, or name its file with "
                "--config."
            ).format(name=CONFIG_NAME, folder=folder)
        )
    if not found.exists():
        raise ConfigError(
            _(
                "{path}: there is no such file. Give the path of a project's {name}, or "
                "start a project with `newsletter init`."
            ).format(path=found, name=CONFIG_NAME)
        )
    return load_config(found)


def _refuse_secrets(path: Path, text: str, data: dict[str, Any], section: str = "") -> None:
    for key, value in data.items():
        dotted = f"{section}.{key}" if section else key
        if isinstance(value, dict):
            _refuse_secrets(path, text, value, dotted)
        elif key in _SECRET_KEYS:
            env = "NEWSLETTER_" + dotted.replace(".", "_").upper()
            raise ConfigError(
                _(
                    "{path}:{line_of}: {dotted}: a secret does not belong in {config_name}, which"
                    " is kept in git. Delete the line and set {env} in the environment (or "
                    "{env}_FILE to a file outside the repository)."
                ).format(
                    path=path,
                    line_of=_line_of(text, dotted),
                    dotted=dotted,
                    config_name=CONFIG_NAME,
                    env=env,
                )
            )


def _line_of(text: str, dotted: str, *, table: bool = False) -> int:
    """Best-effort line of a dotted key (or, with TABLE, of its [table] header) in TOML
    text (tomllib keeps no positions)."""
    *sections, key = dotted.split(".")
    if table:
        sections, key = [*sections, key], ""
    lines = text.splitlines()
    start = 0
    if sections:
        header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(map(re.escape, sections)) + r"\s*\]")
        start = next((i for i, line in enumerate(lines) if header.match(line)), 0)
    if table:
        return start + 1
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number, line in enumerate(lines[start:], start=start + 1):
        if pattern.match(line):
            return number
    return start + 1


def _build(path: Path | None, root: Path, data: dict[str, Any], text: str = "") -> Config:
    where = str(path or CONFIG_NAME)
    data = dict(data)
    sections: dict[str, Any] = {}
    section_types: tuple[tuple[str, type[_Section]], ...] = (
        ("smtp", SmtpSettings),
        ("dkim", DkimSettings),
        ("bounces", BouncesSettings),
        ("signup", SignupSettings),
        ("web", WebSettings),
        ("check", CheckSettings),
    )
    for name, cls in section_types:
        sections[name] = _validate(cls, data.pop(name, {}), name, where, text)
    raw_newsletters = data.pop("newsletters", {})
    general = _validate(_General, data, "", where, text)
    newsletters = {
        key: _validate_newsletter(key, value, where, text) for key, value in raw_newsletters.items()
    }
    return Config(
        path=path,
        root=root,
        base_url=general.base_url.rstrip("/"),
        state_dir=root / general.state_dir,
        state_url=general.state_url,
        outbox=root / general.outbox,
        subscribers_dir=root / general.subscribers_dir,
        issues_dir=root / general.issues_dir,
        newsletters=newsletters,
        **sections,
    )


# A newsletter's key is the first part of its web addresses (/KEY/, /KEY/feed.atom):
# it must not be one the web side answers itself.
_RESERVED_KEYS = {"u", "c", "health", "robots.txt", "site.css"}
_KEY = re.compile(r"[a-z0-9][a-z0-9_-]*")


def key_problem(key: str, /) -> str | None:
    """What is wrong with KEY as the key of a newsletter, or None when nothing is."""
    if key in _RESERVED_KEYS:
        return _(
            "the key of a newsletter is part of its web addresses: use lower-case letters, "
            "digits and hyphens (e.g. medborgardialog), and not {key!r}, which the web side "
            "uses itself."
        ).format(key=key)
    if not _KEY.fullmatch(key):
        return _(
            "the key of a newsletter is part of its web addresses: use lower-case letters, "
            "digits and hyphens (e.g. medborgardialog), not {key!r}."
        ).format(key=key)
    return None


def _validate_newsletter(key: str, value: Any, where: str, text: str) -> NewsletterConfig:
    if not isinstance(value, dict):
        raise ConfigError(
            _("{where}: [newsletters.{key}] must be a table of settings.").format(
                where=where, key=key
            )
        )
    if problem := key_problem(key):
        raise ConfigError(
            _("{where}:{line}: [newsletters.{key}]: {problem}").format(
                where=where, line=_table_line(text, key), key=key, problem=problem
            )
        )
    try:
        return NewsletterConfig(key=key, **value)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, f"newsletters.{key}", where, text)) from None


def _table_line(text: str, key: str) -> int:
    header = re.compile(rf"^\s*\[\s*newsletters\s*\.\s*[\"']?{re.escape(key)}[\"']?\s*\]")
    lines = text.splitlines()
    return next((n for n, line in enumerate(lines, start=1) if header.match(line)), 1)


def _validate(cls: type[_Section], value: Any, section: str, where: str, text: str) -> Any:
    if not isinstance(value, dict):
        raise ConfigError(
            _("{where}: [{section}] must be a table of settings.").format(
                where=where, section=section
            )
        )
    try:
        return cls(**value)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, section, where, text)) from None


def _describe(exc: ValidationError, section: str, where: str, text: str) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"])
        # A check of the whole table (model_validator) has no field of its own.
        dotted = ".".join(part for part in (section, field) if part)
        env = "NEWSLETTER_" + dotted.replace(".", "_").upper()
        if env in os.environ:
            origin = f"environment variable {env}"
        else:
            origin = f"{where}:{_line_of(text, dotted, table=not field)}" if text else where
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "is not a setting here; check its spelling"
        lines.append(f"{origin}: {dotted}: {message}")
    return "\n".join(lines)

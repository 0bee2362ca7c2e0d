from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsletter.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_names_both_skr_newsletters() -> None:
    config = load_config(ROOT / "newsletter.toml")
    assert set(config.newsletters) == {"medborgardialog", "regional-utveckling"}
    assert config.smtp.host == ""
    assert config.newsletter("medborgardialog").language == "sv"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[smtp]\nhost = "mail.example.org"\nport = 587\n')
    monkeypatch.setenv("NEWSLETTER_SMTP_HOST", "relay.example.org")
    monkeypatch.setenv("NEWSLETTER_SMTP_SECURITY", "tls")
    config = load_config(path)
    assert config.smtp.host == "relay.example.org"
    assert config.smtp.security == "tls"
    assert config.smtp.effective_port == 587


def test_password_in_file_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nhost = "x"\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"{path}:3: smtp.password:" in message
    assert "NEWSLETTER_SMTP_PASSWORD" in message
    assert "hunter2" not in message


def test_password_comes_from_environment_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write(tmp_path, ""))
    secret_file = tmp_path / "pw"
    secret_file.write_text("s3cret\n")
    monkeypatch.setenv("NEWSLETTER_SMTP_PASSWORD_FILE", str(secret_file))
    assert config.smtp.password is not None
    assert config.smtp.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config.smtp.password)


def test_wrong_setting_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, '\n[smtp]\nhost = "x"\nsecurity = "ssl"\n')
    with pytest.raises(ConfigError, match=rf"{path}:4: smtp.security: Input should be"):
        load_config(path)


def test_misspelt_setting_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, '[smtp]\nhots = "x"\n')
    with pytest.raises(ConfigError, match=rf"{path}:2: smtp.hots: is not a setting here"):
        load_config(path)


def test_unknown_newsletter_lists_the_configured_ones() -> None:
    config = load_config(ROOT / "newsletter.toml")
    with pytest.raises(ConfigError, match="configured: medborgardialog, regional-utveckling"):
        config.newsletter("medborgardialg")


@pytest.mark.parametrize("key", ["u", "health", "Nyhetsbrev", "två ord"])
def test_a_newsletter_name_that_cannot_be_a_web_address_is_refused(
    tmp_path: Path, key: str
) -> None:
    path = tmp_path / "newsletter.toml"
    path.write_text(
        f'base_url = "https://n.example.org"\n\n[newsletters."{key}"]\nname = "N"\n'
        'from_name = "N"\nfrom_address = "n@example.org"\nreply_to = "n@example.org"\n'
        'list_id = "n.example.org"\ndefault_list = "n"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}:3: [newsletters.{key}]: the key of a newsletter")


NEWSLETTER = """
[newsletters.x]
name = "X"
from_name = "X"
from_address = "x@example.org"
reply_to = "x@example.org"
list_id = "x.example.org"
"""


def test_default_list_may_name_several_lists(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, NEWSLETTER + 'default_list = ["a", "b", "a"]\n'))
    assert config.newsletter("x").default_lists == ("a", "b")
    config = load_config(write(tmp_path, NEWSLETTER + 'default_list = "a"\n'))
    assert config.newsletter("x").default_lists == ("a",)
    path = write(tmp_path, NEWSLETTER + "default_list = []\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: newsletters.x: default_list must name"):
        load_config(path)


def test_sign_up_settings_and_their_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(write(tmp_path, ""))
    assert (config.signup.expiry_days, config.signup.mails_per_address) == (7, 3)
    assert config.signup.per_client_per_hour == 10 and config.web.trusted_proxies is None
    path = write(tmp_path, "[signup]\nmails_per_address = 0\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: signup.mails_per_address: Input should"):
        load_config(path)
    monkeypatch.setenv("NEWSLETTER_SIGNUP_PER_CLIENT_PER_HOUR", "4")
    assert load_config(write(tmp_path, "")).signup.per_client_per_hour == 4


def test_trusted_proxies_are_addresses_or_networks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write(tmp_path, '[web]\ntrusted_proxies = ["10.0.0.5", "fd00::/8"]\n'))
    assert config.web.trusted_proxies == ["10.0.0.5", "fd00::/8"]
    path = write(tmp_path, '[web]\ntrusted_proxies = ["proxy.example.org"]\n')
    with pytest.raises(ConfigError, match=rf"{path}:2: web.trusted_proxies: 'proxy.example.org'"):
        load_config(path)
    monkeypatch.setenv("NEWSLETTER_WEB_TRUSTED_PROXIES", "10.0.0.5, 10.0.1.0/24")
    assert load_config(write(tmp_path, "")).web.trusted_proxies == ["10.0.0.5", "10.0.1.0/24"]
    monkeypatch.setenv("NEWSLETTER_WEB_TRUSTED_PROXIES", "")  # believe no proxy at all
    assert load_config(write(tmp_path, "")).web.trusted_proxies == []


def test_the_confirmation_links_address_is_no_newsletter_name(tmp_path: Path) -> None:
    path = write(
        tmp_path, NEWSLETTER.replace("newsletters.x", "newsletters.c") + 'default_list = "a"\n'
    )
    with pytest.raises(ConfigError, match="which the web side uses itself"):
        load_config(path)

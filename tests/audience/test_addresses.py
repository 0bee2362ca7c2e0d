import random
import string

import pytest
from email_validator import EmailNotValidError, validate_email

from newsletter.audience.addresses import AddressChecker, normalise_address

TRICKY = [
    "anna@example.org", "Anna.Ek@EXAMPLE.ORG", "a+tag@example.se", "o'brien@example.ie",
    "x@example.museum", "a..b@example.org", ".a@example.org", "a.@example.org",
    "a@-example.org", "a@example-.org", "a@example..org", "a@example", "a@example.123",
    "a@example.o", "a@localhost", "a@host.local", "a@x.test", "a@x.invalid", "a@x.onion",
    "a@xn--bcher-kva.example", "a@bücher.example", "åsa@example.se", '"a b"@example.org',
    "a@[127.0.0.1]", "a b@example.org", "a@ex ample.org", "@example.org", "a@", "",
    "a" * 64 + "@example.org", "a" * 65 + "@example.org", "a@" + "b" * 63 + ".org",
    "a@" + "b" * 64 + ".org", "a@" + ("b" * 60 + ".") * 4 + "org", "a@a-b--c.example",
    "a@ex--ample.org", "{x}|~^`@example.org", "a=b?c/d#e$f%g&h*i!@example.org",
    "a@exa_mple.org", "a@example.org.", "a@EXAMPLE.SE", "a@sub.sub.example.co.uk",
]  # fmt: skip


def reference(address: str) -> str | None:
    try:
        result = validate_email(address.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.ascii_email or result.normalized


def checked(address: str) -> str | None:
    try:
        return AddressChecker().normalise(address)
    except ValueError:
        return None


def random_addresses(count: int) -> list[str]:
    """Address-shaped strings with the characters that matter to either path."""
    rng = random.Random(5)
    local = string.ascii_letters + string.digits + ".-_+'!#{}|~" + 'å"\\ ()<>,;:[]'
    domain = string.ascii_letters + string.digits + "-._" + "äÖ"

    def part(alphabet: str, low: int, high: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))

    return [
        f"{part(local, 0, 12)}@{part(domain, 0, 12)}.{rng.choice(['se', 'org', 'x1', 'TEST', ''])}"
        for _ in range(count)
    ]


@pytest.mark.parametrize("address", TRICKY)
def test_fast_path_agrees_with_email_validator(address: str) -> None:
    assert checked(address) == reference(address)


def test_fast_path_agrees_on_thousands_of_generated_addresses() -> None:
    addresses = random_addresses(5000)
    disagree = [a for a in addresses if checked(a) != reference(a)]
    assert disagree == []
    assert sum(reference(a) is not None for a in addresses) > 500  # both kinds are tried


def test_the_fast_path_is_taken_for_plain_addresses() -> None:
    checker = AddressChecker()
    checker.normalise("anna@example.org")
    checker.normalise("åsa@example.se")
    # Only slow (email-validator) answers are remembered.
    assert list(checker._seen) == ["åsa@example.se"]


def test_errors_say_what_is_wrong_and_repeat_for_the_same_input() -> None:
    checker = AddressChecker()
    for _ in range(2):
        with pytest.raises(
            ValueError, match=r"'anna@@example.org' is not a valid e-mail address: "
        ):
            checker.normalise(" anna@@example.org ")


def test_idn_domains_normalise_to_one_ascii_spelling() -> None:
    assert normalise_address("Nora@Bücher.Example") == "Nora@xn--bcher-kva.example"
    assert normalise_address("nora@XN--BCHER-KVA.example") == "nora@xn--bcher-kva.example"
    assert normalise_address("Åsa@Example.SE") == "Åsa@example.se"

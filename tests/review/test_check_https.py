"""http: links where https: works: the same host on ports 80 and 443 (with a certificate
from a test CA that the check trusts through SSL_CERT_FILE), on a loopback address of
its own (127.0.0.15) so as to meet nobody else's servers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trustme
from checkproject import found, line_of, make_project, run, write_issue
from dnsserver import dns_server
from linkserver import served_at

ADDRESS = "127.0.0.15"


def test_an_http_link_whose_https_address_works_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        pytest.skip("listening on ports 80 and 443 needs root (CI runs as root)")
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    certificate = ca.issue_cert("www.kommun.se", "plain.kommun.se")
    zone = f"www.kommun.se. 60 IN A {ADDRESS}\nplain.kommun.se. 60 IN A {ADDRESS}"
    path = write_issue(
        tmp_path,
        """\
        - title: Länkar
          links:
            - {label: Går med https, url: "http://www.kommun.se/ok"}
            - {label: Skickas vidare, url: "http://www.kommun.se/to-https"}
            - {label: Redan https, url: "https://plain.kommun.se/ok"}
        """,
    )
    with (
        dns_server(zone) as (nameserver, _),
        served_at(ADDRESS, 80) as plain,
        served_at(ADDRESS, 443, certificate=certificate) as secure,
    ):
        monkeypatch.setenv("NEWSLETTER_CHECK_NAMESERVERS", nameserver)
        report = run(path, real=True)
    http = {f.place.line: f.message for f in found(report, "link-http")}
    assert set(http) == {line_of(path, '/ok"}'), line_of(path, "/to-https")}
    assert (
        "and https://www.kommun.se/ok works: use the https address"
        in http[line_of(path, "http://www.kommun.se/ok")]
    )
    assert not found(report, "link-redirect")
    assert plain["HEAD /ok"] == 1 and secure["HEAD /ok"] == 2  # the twin, and plain.kommun.se
    assert not [f for f in report.errors if "kommun.se" in f.message]

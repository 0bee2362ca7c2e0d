"""DKIM signatures checked as a receiver checks them: OpenDKIM's `opendkim-testmsg`.

    from dkimcheck import opendkim_verify
    assert opendkim_verify([message], {"sel._domainkey.example.org.": "v=DKIM1; ..."}) == [(0, "")]

opendkim-testmsg (Debian's opendkim-tools, installed by .ci/setup) reads one message and
looks the signer's public key up in DNS. It gets a DNS of its own here: this file, run
with `unshare --net --mount` (root, as CI runs), brings up the loopback of a new network
namespace, answers DNS on its port 53 with the test's TXT records (dnspython writes the
answers) and mounts a resolv.conf naming it over /etc/resolv.conf in a new mount
namespace. Nothing reaches the internet and nothing outside those namespaces changes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

OPENDKIM = "/usr/sbin/opendkim-testmsg"


def opendkim_verify(messages: list[bytes], records: dict[str, str]) -> list[tuple[int, str]]:
    """(exit status, what it said) of opendkim-testmsg for each of MESSAGES."""
    if os.geteuid() != 0:
        pytest.skip("a DNS server of its own for opendkim-testmsg needs root (CI has it)")
    if not os.access(OPENDKIM, os.X_OK) or not shutil.which("unshare"):
        pytest.fail("opendkim-testmsg is not installed: run `bash .ci/setup` (opendkim-tools).")
    with tempfile.TemporaryDirectory(prefix="dkimcheck-") as folder:
        paths = []
        for number, message in enumerate(messages):
            path = Path(folder) / f"{number}.eml"
            path.write_bytes(message)
            paths.append(str(path))
        command = ["unshare", "--net", "--mount", sys.executable, __file__, folder,
                   json.dumps(records), *paths]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            pytest.fail(f"the DKIM check could not run: {done.stderr.strip()}")
        return [tuple(result) for result in json.loads(done.stdout)]  # type: ignore[misc]


def _loopback_up() -> None:
    """`ip link set lo up`, by the ioctls it makes (SIOCGIFFLAGS, SIOCSIFFLAGS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(sock, 0x8913, request)[:18])[1]
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH", b"lo", flags | 0x1))


def _serve_dns(records: dict[str, str]) -> None:
    import dns.message
    import dns.rcode
    import dns.rdatatype
    import dns.rrset

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 53))

    def answer() -> None:
        while True:
            data, peer = sock.recvfrom(4096)
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text()
            if name in records and question.rdtype == dns.rdatatype.TXT:
                text = records[name]
                # A TXT string holds 255 bytes at most: longer keys come in pieces.
                pieces = " ".join(f'"{text[i : i + 250]}"' for i in range(0, len(text), 250))
                response.answer.append(dns.rrset.from_text(name, 60, "IN", "TXT", pieces))
            else:
                response.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(response.to_wire(), peer)

    threading.Thread(target=answer, daemon=True).start()


def _main(folder: str, records: str, paths: list[str]) -> None:
    _loopback_up()
    resolv = Path(folder) / "resolv.conf"
    resolv.write_text("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
    subprocess.run(["mount", "--bind", str(resolv), "/etc/resolv.conf"], check=True)
    _serve_dns(json.loads(records))
    results = []
    for path in paths:
        with open(path, "rb") as message:
            done = subprocess.run([OPENDKIM], stdin=message, capture_output=True, check=False)
        results.append((done.returncode, (done.stdout + done.stderr).decode().strip()))
    print(json.dumps(results))


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2], sys.argv[3:])

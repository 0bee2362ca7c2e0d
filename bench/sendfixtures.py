"""The example project bench/send sends: a list of generated readers, a DKIM key."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parent.parent
ISSUE = "issues/medborgardialog-2020-06.yaml"
FIRST = ["Anna", "Björn", "Cecilia", "Åsa", "Örjan", "Märta", "Lars-Erik", "Hassan", "Elin"]
TOWNS = ["Linköping", "Uppsala", "Norrköping", "Hässleholm", "Umeå", "Örebro"]


# Where the example project comes from: this checkout, or the one whose code is measured
# (bench/send --code), whose settings may differ.
EXAMPLE = [ROOT]


def project(folder: Path, recipients: int, port: int, concurrency: int) -> dict[str, str]:
    """An example project in FOLDER with a list `bench`; the environment to send with."""
    shutil.copy(EXAMPLE[0] / "newsletter.toml", folder / "newsletter.toml")
    (folder / "issues").mkdir(exist_ok=True)
    shutil.copy(EXAMPLE[0] / ISSUE, folder / ISSUE)
    (folder / "subscribers").mkdir(exist_ok=True)
    lines = ["E-post;Namn;Kommun"]
    for n in range(recipients):
        town = TOWNS[n % len(TOWNS)]
        lines.append(f"person.{n}@kommun{n % 97}.example.se;{FIRST[n % len(FIRST)]} {n};{town}")
    (folder / "subscribers" / "bench.csv").write_text("\r\n".join(lines) + "\r\n", "utf-8-sig")
    return {
        **os.environ,
        "NEWSLETTER_CONFIG": str(folder / "newsletter.toml"),
        "NEWSLETTER_SECRET": "bench-secret-0123456789abcdef",
        "NEWSLETTER_SMTP_HOST": "127.0.0.1",
        "NEWSLETTER_SMTP_PORT": str(port),
        "NEWSLETTER_SMTP_SECURITY": "none",
        "NEWSLETTER_SMTP_CONCURRENCY": str(concurrency),
    }


def dkim_key(folder: Path) -> str:
    """A 2048-bit RSA key in FOLDER/dkim.key (made once); its path."""
    path = folder / "dkim.key"
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return str(path)


def message_size(env: dict[str, str], folder: Path) -> int:
    """Bytes of one built message of the example issue (the references send this many)."""
    code = (
        "import sys; from pathlib import Path; from newsletter.content.project import load;"
        "from newsletter.render.issue import render_issue; from newsletter.delivery.message import "
        "MessageBuilder, Recipient; from newsletter.audience.tokens import TokenSigner;"
        "issue, config = load(Path(sys.argv[1])); r = render_issue(issue, config);"
        "b = MessageBuilder(r, config, signer=TokenSigner(b'bench-secret-0123456789abcdef'));"
        "print(len(b.build(Recipient('person.1@kommun1.example.se', 'Björn 1')).data))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(folder / ISSUE)], env=env,
                         check=True, capture_output=True, text=True, cwd=folder)  # fmt: skip
    return int(out.stdout)

"""How fast issue files load, and how fast hostile ones are refused.

    .venv/bin/python bench/loader.py [--repeat N]

Prints milliseconds per load for the example issues, for a large synthetic issue
just under the size cap, and for a "billion laughs" file, plus peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from newsletter.content.loader import MAX_BYTES, load_issue, load_issue_text
from newsletter.errors import IssueFileError

ROOT = Path(__file__).resolve().parent.parent

ITEM = """\
      - kind: webinar
        source: SKR
        title: Webbinarium nummer {n} om medborgardialog och medskapande
        body: |
          Välkommen att delta i ett kostnadsfritt webbinarium där SKR delar med sig av spaningar
          från Montreal, Mannheim och Luton, tre städer som har arbetat fram samhällskontrakt.
        sessions:
          - date: 2021-06-09
            start: "09:00"
            end: "11:00"
        place: Digitalt
        cost:
          amount: 250
          vat: excluded
          unit: per länk
        links:
          - label: Anmäl dig här!
            url: https://example.org/{n}
            role: register
"""

# The same in YAML's flow style: thousands of brackets send the file to the Python
# parser (see yamlsource._FAST_MAX_BRACKETS), so this is the slow worst case.
FLOW_ITEM = """\
      - kind: webinar
        title: Webbinarium nummer {n} om medborgardialog och medskapande
        body: Välkommen att delta i ett kostnadsfritt webbinarium.
        sessions: [{{date: 2021-06-09, start: "09:00", end: "11:00"}}]
        cost: {{amount: 250, vat: excluded, unit: per länk}}
        links: [{{label: Anmäl dig här!, url: "https://example.org/{n}", role: register}}]
"""


def large_issue(item: str = ITEM) -> str:
    head = "newsletter: medborgardialog\nyear: 2021\nnumber: 1\ntitle: Stort nummer\n"
    text = head + "sections:\n  - items:\n"
    n = 0
    while len((text + item.format(n=n)).encode()) < MAX_BYTES:
        text += item.format(n=n)
        n += 1
    return text


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def measure(label: str, repeat: int, load: Callable[[], object]) -> None:
    def once() -> None:
        with contextlib.suppress(IssueFileError):
            load()

    started = time.perf_counter()
    for _ in range(repeat):
        once()
    elapsed = (time.perf_counter() - started) / repeat
    tracemalloc.start()
    once()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<44} {elapsed * 1000:9.1f} ms   peak {peak / 1e6:6.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    for path in sorted((ROOT / "issues").glob("*.yaml")):
        measure(path.name, repeat, lambda path=path: load_issue(path))
    for style, item in (("block", ITEM), ("flow", FLOW_ITEM)):
        big = large_issue(item)
        label = (
            f"{len(big.encode()) // 1000} kB, {big.count('kind: webinar')} events, {style} style"
        )
        measure(label, 1, lambda big=big: load_issue_text(big, "big"))
    laughs = billion_laughs()
    measure("billion laughs (refused)", repeat, lambda: load_issue_text(laughs, "lol"))


if __name__ == "__main__":
    main()

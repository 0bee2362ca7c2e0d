"""Inputs that are not what they claim to be: issue 12, items 7 and 13.

A symlink to /dev/zero or a FIFO given as an issue file or a list, control characters
written as YAML escapes, an empty folder, a list file that is a folder. The commands run
in a subprocess with a memory limit and a timeout: a command that reads without end or
waits for a writer fails the test instead of taking the machine down with it.
"""

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from projects import ISSUE, ROOT, example_project

MEMORY = 1 << 30  # 1 GB: /dev/zero read whole would pass it within a second


def newsletter(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    environment = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit,
        env=environment,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return example_project(tmp_path)


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo"])
def test_validate_reads_only_a_regular_file(project: Path, kind: str) -> None:
    path = project / "issues" / "nr7.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)
    result = newsletter("validate", str(path), cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    expected = "is a named pipe (FIFO)" if kind == "fifo" else "is a device"
    assert f"{path}: {expected}, not an issue file" in result.stderr


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo"])
def test_import_reads_only_a_regular_file(project: Path, kind: str) -> None:
    path = project / "export.csv"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kind)
    result = newsletter("subscribers", "import", "medborgardialog", str(path), cwd=project)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "not a list file" in result.stderr


def test_send_and_render_refuse_a_device_too(project: Path) -> None:
    (project / "issues" / "zero.yaml").symlink_to("/dev/zero")
    for command in ("render", "send"):
        result = newsletter(command, "issues/zero.yaml", cwd=project)
        assert result.returncode in (1, 2) and "Traceback" not in result.stderr
        assert "is a device" in result.stderr or "is not a file" in result.stderr.lower()


def test_control_characters_as_yaml_escapes_are_refused_where_they_are(project: Path) -> None:
    text = (project / ISSUE).read_text(encoding="utf-8")
    text = text.replace("title: Nyhetsbrev nr.6 år 2020", 'title: "Nyhetsbrev \\uFFFE nr.6"')
    text = text.replace("        source: SKR\n", '        source: "SKR \\x1b[31m"\n', 1)
    (project / "issues" / "bad.yaml").write_text(text, encoding="utf-8")
    result = newsletter("validate", "issues/bad.yaml", cwd=project)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any("bad.yaml:12:8: title: contains the invisible control character U+FFFE" in line
               for line in lines), lines  # fmt: skip
    assert any("source: contains the invisible control character U+001B" in line
               for line in lines), lines  # fmt: skip
    # render never gets to blame the templates.
    rendered = newsletter("render", "issues/bad.yaml", cwd=project)
    assert rendered.returncode == 1 and "template" not in rendered.stderr


def test_validate_of_a_folder_without_issues_is_an_error(project: Path) -> None:
    (project / "empty").mkdir()
    result = newsletter("validate", "empty", cwd=project)
    assert result.returncode == 1
    assert "empty: there are no issue files (*.yaml) in this folder" in result.stderr


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_list_file_that_is_not_a_file_is_named_as_such(project: Path, kind: str) -> None:
    path = project / "subscribers" / "konstig.csv"
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    result = newsletter("subscribers", "check", "konstig", cwd=project)
    assert result.returncode == 1 and "there is no such list" not in result.stderr
    what = "is a folder, not a list file" if kind == "folder" else "is not a regular file"
    assert what in result.stderr
    # ... and the lists it offers are only the real ones.
    assert "konstig" not in result.stderr.split("(lists in")[1]


def test_a_configuration_that_is_a_device_is_refused(project: Path) -> None:
    environment = {**os.environ, "NEWSLETTER_CONFIG": "/dev/zero"}
    result = subprocess.run(
        [sys.executable, "-m", "newsletter", "subscribers", "suppressed"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY)),
    )
    assert result.returncode == 1 and "is a device, not a configuration file" in result.stderr


def test_the_example_issues_still_validate() -> None:
    result = newsletter("validate", str(ROOT / "issues"), cwd=ROOT)
    assert result.returncode == 0, result.stderr

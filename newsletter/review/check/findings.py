"""What a check finds: each finding at its place, with its severity, and the report of them.

A finding's place is `FILE:LINE:COL` in the issue, a list file, or the name of a setting
(`newsletter.toml: base_url`). Some findings stop only a real send: without an SMTP host
the send writes `.eml` files nobody receives (a rehearsal), and there they are warnings.
"""

from __future__ import annotations

__all__ = ["Finding", "Place", "Report", "Severity"]

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from newsletter.translate import N_, _, ngettext

Severity = Literal["error", "warning", "note"]
_ORDER = {"error": 0, "warning": 1, "note": 2}


@dataclass(frozen=True, slots=True)
class Place:
    """Where a finding is: a file with line and column (0 when unknown), or a setting."""

    path: str
    line: int = 0
    column: int = 0
    setting: str = ""  # `base_url`, `newsletters.medborgardialog.logo`

    def __str__(self) -> str:
        if self.setting:
            return f"{self.path}: {self.setting}"
        place = self.path
        if self.line:
            place += f":{self.line}"
            if self.column:
                place += f":{self.column}"
        return place


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: SEVERITY at PLACE; `code` names it in docs/check.md and in --json."""

    severity: Severity
    code: str
    place: Place
    message: str
    # An error only for a real send: in a rehearsal (the outbox) it is a warning.
    real_send_only: bool = False

    def __str__(self) -> str:
        severity = _(_SEVERITIES[self.severity])
        if self._downgraded:
            return _("{place}: {severity}: {message} (a real send would refuse this)").format(
                place=self.place, severity=severity, message=self.message
            )
        return f"{self.place}: {severity}: {self.message}"

    @property
    def _downgraded(self) -> bool:
        return self.real_send_only and self.severity == "warning"

    def as_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.place.path,
            "line": self.place.line or None,
            "column": self.place.column or None,
            "setting": self.place.setting or None,
            "message": self.message,
            "real_send_would_refuse": self.real_send_only,
        }


@dataclass(slots=True)
class Report:
    """Every finding of one check, and whether it was a real send's or a rehearsal's."""

    issue: str
    real: bool = True
    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        if not self.real and finding.real_send_only and finding.severity == "error":
            finding = replace(finding, severity="warning")
        self.findings.append(finding)

    def extend(self, findings: list[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    def only_warn(self) -> None:
        """Every error a warning: a `--test` send goes ahead whatever is found."""
        self.findings = [
            replace(f, severity="warning") if f.severity == "error" else f for f in self.findings
        ]

    def of(self, severity: Severity) -> list[Finding]:
        return [finding for finding in self.sorted() if finding.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.of("error")

    @property
    def warnings(self) -> list[Finding]:
        return self.of("warning")

    @property
    def refused_in_rehearsal(self) -> int:
        """How many warnings would be errors in a real send."""
        return sum(1 for f in self.findings if f.real_send_only and f.severity == "warning")

    def sorted(self) -> list[Finding]:
        """Errors, then warnings, then notes; each group by file and line."""
        unique = dict.fromkeys(self.findings)
        return sorted(
            unique,
            key=lambda f: (
                _ORDER[f.severity],
                f.place.path != self.issue,
                f.place.path,
                f.place.line,
                f.place.column,
            ),
        )

    def lines(self) -> list[str]:
        """The findings as an editor reads them, errors first."""
        return [str(finding) for finding in self.sorted()]

    def summary(self) -> str:
        errors, warnings = len(self.errors), len(self.warnings)
        text = _("{issue}: {errors}, {warnings}.").format(
            issue=self.issue,
            errors=ngettext("{n} error", "{n} errors", errors).format(n=errors),
            warnings=ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings),
        )
        if not self.real and (refused := self.refused_in_rehearsal):
            text += " " + ngettext(
                "No SMTP host is set, so a send writes to the outbox (a rehearsal): {n} warning "
                "above would stop a real send.",
                "No SMTP host is set, so a send writes to the outbox (a rehearsal): {n} warnings "
                "above would stop a real send.",
                refused,
            ).format(n=refused)
        return text

    def as_json(self) -> str:
        return json.dumps(
            {
                "issue": self.issue,
                "real_send": self.real,
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "findings": [finding.as_dict() for finding in self.sorted()],
            },
            ensure_ascii=False,
            indent=2,
        )


# The severities as editors read them (in --json they stay the codes).
_SEVERITIES = {"error": N_("error"), "warning": N_("warning"), "note": N_("note")}

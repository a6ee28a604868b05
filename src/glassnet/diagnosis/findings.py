"""``Finding`` (one problem, its numbers and what to try) and ``Diagnosis`` (the report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Most severe first: the order of the report's paragraphs.
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found in a training.

    ``code`` names the check (see ``glassnet.diagnosis``), ``severity`` is "error" (the training
    cannot work as set up), "warning" (it will train badly) or "info" (worth knowing);
    ``message`` says it in words, quoting the numbers of ``evidence`` and ending with what to
    try; ``evidence`` holds those numbers by name, so they can be checked against a direct
    computation.
    """

    code: str
    severity: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"a finding's severity must be one of {', '.join(SEVERITIES)}; got "
                f"{self.severity!r}."
            )

    def __str__(self) -> str:
        return f"[{self.severity}] {self.code}: {self.message}"


@dataclass
class Diagnosis:
    """What ``gn.diagnose`` found: ``findings`` (most severe first) and the sample it used.

    ``str(diagnosis)`` is the report: one paragraph per finding, or a one-line all-clear.
    """

    findings: list[Finding]
    sample_size: int
    checked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.findings = sorted(self.findings, key=lambda f: SEVERITIES.index(f.severity))

    @property
    def codes(self) -> list[str]:
        """The codes of the findings, most severe first."""
        return [finding.code for finding in self.findings]

    def by_code(self, code: str) -> list[Finding]:
        """The findings with this code (a code may fire once per layer)."""
        return [finding for finding in self.findings if finding.code == code]

    @property
    def ok(self) -> bool:
        """True when nothing is an error or a warning."""
        return all(finding.severity == "info" for finding in self.findings)

    def __str__(self) -> str:
        if not self.findings:
            return (f"No problems found on a sample of {self.sample_size} rows "
                    f"({len(self.checked)} checks).")
        return "\n\n".join(str(finding) for finding in self.findings)

    def __repr__(self) -> str:
        return f"Diagnosis(findings={self.codes}, sample_size={self.sample_size})"

"""``Finding`` (one problem, its numbers and what to try) and ``Diagnosis`` (the report)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from glassnet.diagnosis.wording import DiagnosisWords, say

# Most severe first: the order of the report's paragraphs.
SEVERITIES: tuple[str, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found in a training.

    ``code`` names the check (see ``glassnet.diagnosis``), ``severity`` is "error" (the training
    cannot work as set up), "warning" (it will train badly) or "info" (worth knowing);
    ``message`` says it in words, quoting the numbers of ``evidence`` and ending with what to
    try (``say("zh")``: in Chinese); ``evidence`` holds those numbers by name, so they can be
    checked against a direct computation.
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
        return self.say("en")

    def say(self, language: str) -> str:
        """"[severity] code: message" in ``language``, "en" or "zh" (a message read back from
        a file, a plain str, stays as it was written)."""
        return DiagnosisWords("finding", severity=self.severity, code=self.code,
                              message=self.message).say(language)


@dataclass
class Diagnosis:
    """What ``gn.diagnose`` found: ``findings`` (most severe first) and the sample it used.

    ``str(diagnosis)`` is the report: one paragraph per finding, or a one-line all-clear;
    ``format(language="zh")`` writes it in Chinese.
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
        return self.format()

    def format(self, language: str = "en") -> str:
        """The report in ``language``: "en" (as ``str``) or "zh"."""
        if not self.findings:
            return say(DiagnosisWords("all_clear", rows=self.sample_size,
                                      checks=len(self.checked)), language)
        return "\n\n".join(finding.say(language) for finding in self.findings)

    def __repr__(self) -> str:
        return f"Diagnosis(findings={self.codes}, sample_size={self.sample_size})"

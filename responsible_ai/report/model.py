"""The audit report: verdict, findings and provenance, with every output format one call away."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from responsible_ai.checker.findings import Finding

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["REPORT_SCHEMA_VERSION", "Report"]

REPORT_SCHEMA_VERSION = "1.0"


@dataclass
class Report:
    """Result of an audit.

    Attributes
    ----------
    verdict : {"pass", "fail"}
    checks : list of Finding
    policy : dict
        Name, version, ``fail_on`` and the files of the policy.
    inputs : dict
        SHA-256 and shape of the data, policy and model.
    """

    verdict: str
    checks: list[Finding]
    policy: dict[str, Any]
    inputs: dict[str, Any]
    roles: dict[str, Any] = field(default_factory=dict)
    data_notes: list[str] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    created_at: str = ""
    duration_seconds: float = 0.0
    #: Set by :meth:`submit`: the run's id in the store and its page in the review app.
    submission: Any = field(default=None, repr=False, compare=False)
    #: The audit's SHAP explanation (in memory only, never serialised): the app shows these very
    #: values rather than computing others with other settings.
    explanation: Any = field(default=None, repr=False, compare=False)
    #: Set by ``rai mitigate``: every candidate model, the choice and the Pareto front.
    mitigation: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        """True when the verdict is pass."""
        return self.verdict == "pass"

    @property
    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.checks:
            counts[finding.status] = counts.get(finding.status, 0) + 1
        return counts

    def input_rows(self) -> list[tuple[str, str, str]]:
        """(kind, source, SHA-256) of every input, each policy file (the extended ones too).

        In-memory data is named by where it came from when the caller said so (``data_name``).
        """
        rows: list[tuple[str, str, str]] = []
        data = self.inputs.get("data") or {}
        if data:
            source = data.get("path") or data.get("name") or "(in memory)"
            rows.append(("data", str(source), str(data.get("sha256"))))
        files = [f for f in self.policy.get("files") or [] if isinstance(f, dict)]
        policy = self.inputs.get("policy") or {}
        if not files and policy:
            files = [policy]
        for index, item in enumerate(files):
            kind = "policy" if index == 0 else "policy (extended)"
            rows.append((kind, str(item.get("path") or "(in memory)"), str(item.get("sha256"))))
        model = self.inputs.get("model") or {}
        if model:
            rows.append(
                ("model", str(model.get("path") or "(in memory)"), str(model.get("sha256")))
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        data = self._core_dict()
        if self.mitigation is not None:
            data["mitigation"] = self.mitigation
        return data

    def _core_dict(self) -> dict[str, Any]:
        return {
            "schema_version": REPORT_SCHEMA_VERSION,
            "verdict": self.verdict,
            "summary": self.summary,
            "policy": self.policy,
            "checks": [finding.to_dict() for finding in self.checks],
            "inputs": self.inputs,
            "roles": self.roles,
            "data_notes": self.data_notes,
            "versions": self.versions,
            "seed": self.seed,
            "created_at": self.created_at,
            "duration_seconds": self.duration_seconds,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON (the contract in DESIGN.md; schema: ``report_json_schema()``)."""
        return json.dumps(self.to_dict(), indent=indent, default=_json_default, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        return cls(
            verdict=data["verdict"],
            checks=[Finding.from_dict(item) for item in data["checks"]],
            policy=data.get("policy", {}),
            inputs=data.get("inputs", {}),
            roles=data.get("roles", {}),
            data_notes=data.get("data_notes", []),
            versions=data.get("versions", {}),
            seed=data.get("seed", 0),
            created_at=data.get("created_at", ""),
            duration_seconds=data.get("duration_seconds", 0.0),
            mitigation=data.get("mitigation"),
        )

    @classmethod
    def from_json(cls, text: str) -> Report:
        return cls.from_dict(json.loads(text))

    def to_dataframe(self) -> pd.DataFrame:
        """One row per check: id, metric, by, status, value, operator, threshold, severity."""
        import pandas as pd

        rows = [
            {
                "id": f.id,
                "metric": f.metric,
                "by": ", ".join(f.by) if f.by else None,
                "status": f.status,
                "value": f.value,
                "operator": f.operator,
                "threshold": f.threshold,
                "severity": f.severity,
                "message": f.message,
            }
            for f in self.checks
        ]
        return pd.DataFrame(rows)

    def submit(
        self,
        target: str | None = None,
        *,
        policy_text: dict[str, str] | None = None,
        provenance: dict[str, str] | None = None,
    ) -> Any:
        """Record this report as a run for review; returns a ``Submission`` (``id``, ``url``).

        ``target``: a store URL or path, or ``https://host`` of the API (token in
        ``$RAI_TOKEN``); default ``$RAI_SUBMIT``, else the local store. The exact text of the
        policy files and the provenance (git, CI) are recorded with it.
        """
        from responsible_ai.store.submit import submit_report

        self.submission = submit_report(
            self, target, policy_text=policy_text, provenance=provenance
        )
        return self.submission

    def to_markdown(self) -> str:
        from responsible_ai.report.markdown import render_markdown

        return render_markdown(self)

    def to_junit(self) -> str:
        from responsible_ai.report.junit import render_junit

        return render_junit(self)

    def to_html(self) -> str:
        """A self-contained HTML page (inline CSS and SVG charts, no script, prints to PDF)."""
        from responsible_ai.report.html import render_html

        return render_html(self)

    def render(self, fmt: str) -> str:
        """The report in ``fmt``: json, md (markdown), junit, html or text."""
        renderers = {
            "json": self.to_json,
            "html": self.to_html,
            "md": self.to_markdown,
            "markdown": self.to_markdown,
            "junit": self.to_junit,
            "text": self.to_text,
        }
        if fmt not in renderers:
            raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(renderers)}")
        return renderers[fmt]()

    def to_text(self) -> str:
        from responsible_ai.report.text import render_text

        return render_text(self)

    def _repr_html_(self) -> str:
        from responsible_ai.report.notebook import render_notebook_html

        return render_notebook_html(self)

    def __repr__(self) -> str:
        counts = ", ".join(f"{count} {status}" for status, count in sorted(self.summary.items()))
        return f"<Report {self.policy.get('name')!r}: {self.verdict.upper()} ({counts})>"


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)

"""Errors a user can act on.

Every error the library raises on purpose derives from :class:`RAIError` and carries one message
that names the problem and the fix. The CLI prints that message on one line and exits with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "InputError",
    "PolicyError",
    "PolicyIssue",
    "RAIError",
    "UntrustedModelError",
]


class RAIError(Exception):
    """Base class for errors caused by bad usage or bad input (CLI exit code 2)."""


class InputError(RAIError):
    """The data, roles or model given to an audit cannot be used as they are."""


class UntrustedModelError(InputError):
    """A model file would run arbitrary code when loaded, and the user did not opt in."""


@dataclass(frozen=True)
class PolicyIssue:
    """One problem in a policy file, located by file, line and field."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class PolicyError(RAIError):
    """A policy file is invalid. ``issues`` lists every problem found, not only the first."""

    def __init__(self, issues: list[PolicyIssue]) -> None:
        self.issues = list(issues)
        count = len(self.issues)
        if count == 1:  # one problem, one line
            super().__init__(f"policy invalid: {self.issues[0]}")
            return
        head = f"policy invalid ({count} problems)"
        super().__init__(head + "\n" + "\n".join(f"  {issue}" for issue in self.issues))

"""Turn a policy's ``transforms:`` into fitted transformers and apply them in order."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from responsible_ai.data_files import code_columns
from responsible_ai.errors import InputError
from responsible_ai.inputs import read_table
from responsible_ai.policy.loader import LoadedPolicy
from responsible_ai.policy.schema import Policy
from responsible_ai.privacy.generalize import Generalizer
from responsible_ai.privacy.keys import policy_key_env, policy_key_file
from responsible_ai.privacy.mondrian import MondrianAnonymizer
from responsible_ai.privacy.pseudonymize import Pseudonymizer
from responsible_ai.privacy.settings import (
    DropSpec,
    GeneralizeSpec,
    KAnonymizeSpec,
    MaskSpec,
    PseudonymizeSpec,
    SuppressSpec,
)
from responsible_ai.privacy.transforms import ColumnDropper, Masker, RecordSuppressor

__all__ = [
    "NO_TRANSFORMS",
    "OVER_BUDGET",
    "Anonymization",
    "anonymize",
    "build_transformers",
    "read_data",
]

NO_TRANSFORMS = (
    "policy {name!r} has no transforms: add a `transforms:` list (drop, mask, pseudonymize, "
    "generalize, suppress, k_anonymize) to say how to anonymize the data"
)
OVER_BUDGET = (
    "the transforms removed {count} record(s) ({share:.2%}), more than the policy's "
    "privacy.max_suppression={budget:g}"
)


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def read_data(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a table for release, keeping codes with leading zeros (ZIP codes, ids) as text.

    A CSV column becomes numeric only if every value is a number written without a leading zero;
    ``02134`` stays ``"02134"`` so that generalizing it to a prefix gives ``021**``.
    """
    file = Path(path)
    if file.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return read_table(file)
    text = read_table_as_text(file)
    codes = code_columns(text)  # the audit's rule: fixed-width digit codes stay text too
    for column in text.columns:
        values = text[column].dropna()
        if values.empty or column in codes or values.str.match(r"^[-+]?0\d").any():
            continue
        if values.str.fullmatch(_NUMBER).all():
            text[column] = pd.to_numeric(text[column])
    return text


def read_table_as_text(file: Path) -> pd.DataFrame:
    """Every column of a CSV or TSV as text; empty cells are missing."""
    return read_table(file, as_text=True)


@dataclass
class Anonymization:
    """The transformed data and what each step did (key ids, suppressed records, loss)."""

    frame: pd.DataFrame
    steps: list[dict[str, Any]] = field(default_factory=list)
    records_in: int = 0
    information_loss: dict[str, float] | None = None

    @property
    def suppressed(self) -> int:
        return self.records_in - len(self.frame)

    @property
    def key_ids(self) -> list[str]:
        return sorted({step["key_id"] for step in self.steps if "key_id" in step})

    def notes(self) -> list[str]:
        """One line per step, for the report's ``data_notes``."""
        lines = []
        for number, step in enumerate(self.steps, 1):
            details = ", ".join(f"{k}={v}" for k, v in step.items() if k != "kind")
            lines.append(f"transform {number}: {step['kind']} ({details})")
        lines.append(f"records: {self.records_in} in, {len(self.frame)} out")
        if self.information_loss is not None:
            loss = self.information_loss
            lines.append(
                f"information loss on the quasi-identifiers: NCP {loss['ncp']:.4f} "
                f"(0 = none, 1 = all), discernibility {loss['discernibility']:.4g}, "
                f"average class size {loss['average_class_size']:.1f}"
            )
        return lines


def build_transformers(
    policy: Policy | LoadedPolicy,
    key_file: str | None = None,
    *,
    key_env: str | None = None,
) -> list[tuple[Any, Any]]:
    """One unfitted transformer per item of ``policy.transforms``, with the policy's defaults.

    ``key_file`` and ``key_env`` are the caller's own key sources; they replace the policy's.
    The key sources the policy names are checked even then (see
    :mod:`responsible_ai.privacy.keys`): a policy may name only ``RAI_PSEUDONYMIZATION_KEY`` or
    ``key_env``, and only a key file inside its own folder tree (if loaded from a file) or
    ``key_file``.
    """
    folder = policy.path.parent if isinstance(policy, LoadedPolicy) and policy.path else None
    if isinstance(policy, LoadedPolicy):
        policy = policy.policy
    privacy = policy.privacy
    built: list[tuple[Any, Any]] = []
    for spec in policy.transforms:
        transformer: Any
        if isinstance(spec, DropSpec):
            transformer = ColumnDropper(list(spec.columns))
        elif isinstance(spec, MaskSpec):
            transformer = Masker(list(spec.columns), spec.keep_last, spec.mask_char)
        elif isinstance(spec, PseudonymizeSpec):
            named_env = policy_key_env(
                spec.key_env or privacy.key_env, [key_env] if key_env else []
            )
            named_file = spec.key_file or privacy.key_file
            allowed = [key_file] if key_file else []
            policy_file = policy_key_file(named_file, folder, allowed) if named_file else None
            transformer = Pseudonymizer(
                list(spec.columns),
                key_env=key_env or named_env,
                key_file=key_file or (str(policy_file) if policy_file else None),
                length=spec.length,
            )
        elif isinstance(spec, GeneralizeSpec):
            transformer = Generalizer(
                spec.column, spec.bin_width, spec.bins, spec.date, spec.prefix, spec.hierarchy
            )
        elif isinstance(spec, SuppressSpec):
            transformer = RecordSuppressor(
                spec.quasi_identifiers or list(privacy.quasi_identifiers) or None,
                _required(spec.k or privacy.k, "k", "suppress"),
                privacy.max_suppression if spec.max_suppression is None else spec.max_suppression,
            )
        elif isinstance(spec, KAnonymizeSpec):
            qis = spec.quasi_identifiers or list(privacy.quasi_identifiers)
            if not qis:
                raise InputError(
                    "k_anonymize needs quasi-identifiers: set privacy.quasi_identifiers or "
                    "quasi_identifiers on the transform"
                )
            transformer = MondrianAnonymizer(
                quasi_identifiers=qis,
                k=_required(spec.k or privacy.k, "k", "k_anonymize"),
                l=spec.l or privacy.l,
                l_diversity=privacy.l_diversity,
                t=spec.t or privacy.t,
                sensitive_attributes=spec.sensitive_attributes
                or list(privacy.sensitive_attributes),
                max_suppression=privacy.max_suppression
                if spec.max_suppression is None
                else spec.max_suppression,
                hierarchies={c: dict(h) for c, h in spec.hierarchies.items()},
            )
        else:  # pragma: no cover - the schema admits no other kind
            raise InputError(f"unknown transform {spec!r}")
        built.append((spec, transformer))
    return built


def _required(value: int | None, name: str, kind: str) -> int:
    if value is None:
        raise InputError(f"{kind} needs {name}: set privacy.{name} or {name} on the transform")
    return value


def _describe(spec: Any, transformer: Any) -> dict[str, Any]:
    step: dict[str, Any] = {"kind": spec.kind}
    if hasattr(transformer, "columns_"):
        step["columns"] = list(transformer.columns_)
    if isinstance(transformer, Pseudonymizer):
        step["key_id"] = transformer.key_id_
    if isinstance(transformer, RecordSuppressor | MondrianAnonymizer):
        step["suppressed"] = transformer.suppressed_
    if isinstance(transformer, MondrianAnonymizer):
        step["k"] = transformer.k
        step["classes"] = transformer.classes_
        step["ncp"] = round(transformer.information_loss_, 4)
    return step


def anonymize(
    data: pd.DataFrame,
    policy: Policy | LoadedPolicy,
    key_file: str | None = None,
    *,
    key_env: str | None = None,
) -> Anonymization:
    """Apply the policy's transforms in order to ``data``.

    Parameters
    ----------
    data : DataFrame
        The data to release.
    policy : Policy or LoadedPolicy
        A validated policy with a ``transforms:`` list. Loaded from a file, it may name a key
        file inside its own folder tree; built from a dict, it may name none.
    key_file : str, optional
        Key file for pseudonymization when the key's environment variable is unset; replaces
        the policy's ``key_file``.
    key_env : str, optional
        Environment variable holding the pseudonymization key; replaces the policy's
        ``key_env``, which may then name it too.

    Returns
    -------
    Anonymization
        ``frame`` (rows keep their original index) and ``steps`` (what each transform did).

    Raises
    ------
    InputError
        If the policy has no transforms, a column is missing, no key is available for
        pseudonymization, the key or a key source the policy names is refused, or more records
        would be removed than ``privacy.max_suppression``.
    """
    built = build_transformers(policy, key_file, key_env=key_env)
    if isinstance(policy, LoadedPolicy):
        policy = policy.policy
    if not policy.transforms:
        raise InputError(NO_TRANSFORMS.format(name=policy.name))
    frame = data
    steps = []
    for spec, transformer in built:
        frame = transformer.fit_transform(frame)
        steps.append(_describe(spec, transformer))
    result = Anonymization(frame=frame, steps=steps, records_in=len(data))
    qis = list(policy.privacy.quasi_identifiers)
    if qis and len(frame) and all(c in data.columns and c in frame.columns for c in qis):
        from responsible_ai.privacy.risk import information_loss

        result.information_loss = information_loss(data, frame, qis)
    budget = policy.privacy.max_suppression
    if result.suppressed > budget * len(data):
        raise InputError(
            OVER_BUDGET.format(
                count=result.suppressed, share=result.suppressed / len(data), budget=budget
            )
        )
    return result

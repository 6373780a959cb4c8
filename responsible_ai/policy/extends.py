"""Where ``extends`` may point: home, the shipped packs, or a folder the user allowed.

A policy may come from someone else (a pull request, an upload), so its ``extends`` must not be a
way to read other files on the auditor's machine. A base policy resolves, after following
symlinks, only inside

- the folder of the policy the user named (and its subfolders),
- the shipped policy packs (``policies/``), which a bare file name such as
  ``eeoc-four-fifths.yaml`` also finds when no file of that name sits next to the policy,
- a folder the user allowed: ``rai check --allow-extends-path DIR``, ``audit(...,
  allow_extends_path=[DIR])``.

Anything else is refused before it is opened, whether it exists or not (so the refusal tells
nothing about files outside).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from responsible_ai.policy.reading import error_reason
from responsible_ai.resources import shipped_policies_dir

__all__ = ["ExtendsRefused", "allowed_roots", "resolve_base", "shipped_policies_dir"]

MAX_EXTENDS_CHAIN = 8  # a real chain is two or three files; each may cost ~1 s to read

OUTSIDE = (
    "the base policy {target!r} is outside the policy's folder {home}; keep base policies in "
    "that folder, name a shipped pack by file name (e.g. eeoc-four-fifths.yaml), or allow its "
    "folder with --allow-extends-path DIR"
)
NOT_FOUND = "cannot find the base policy {target}"
NOT_A_PATH = "expected the file name of a base policy"
TOO_LONG = "the extends chain is longer than {limit} files; a policy extends a few at most"
UNRESOLVABLE = "cannot resolve the base policy {target!r} ({reason})"


class ExtendsRefused(Exception):
    """``extends`` names something that may not or cannot be loaded; the message says why."""


def allowed_roots(policy_file: Path, allow_extends_path: Sequence[str | Path] = ()) -> list[Path]:
    """Folders a base policy may lie in; the policy's own folder comes first."""
    roots = [policy_file.parent, shipped_policies_dir(), *map(Path, allow_extends_path)]
    return [root.resolve() for root in roots]


def resolve_base(name: object, file: Path, roots: Sequence[Path]) -> tuple[Path, Path]:
    """The base policy ``file`` extends: the path to show and the resolved path to read.

    Raises
    ------
    ExtendsRefused
        ``name`` is not a file name, lies outside every root, or does not exist.
    """
    # control characters would reach the terminal in every message that names the file
    if not isinstance(name, str) or not name.strip() or not name.isprintable():
        raise ExtendsRefused(NOT_A_PATH)
    shown = file.parent / name
    try:
        real = shown.resolve()
        if not any(real.is_relative_to(root) for root in roots):
            raise ExtendsRefused(OUTSIDE.format(target=name, home=roots[0]))
        if real.exists():
            return shown, real
        pack = shipped_policies_dir() / name
        if Path(name).name == name and pack.is_file():
            return pack, pack.resolve()
    except (OSError, RuntimeError, ValueError) as error:  # too long, a symlink loop, a NUL byte
        reason = error_reason(error)
        raise ExtendsRefused(UNRESOLVABLE.format(target=name, reason=reason)) from None
    raise ExtendsRefused(NOT_FOUND.format(target=shown))

"""A policy named by its pack: ``--policy eeoc-four-fifths`` is the shipped pack of that name.

After ``pip install responsible-ai`` the packs sit inside the installed package, where nobody
should have to look them up. So wherever a policy file is expected (``rai check --policy``,
``rai policy validate``, ``audit(data, "eeoc-four-fifths")``):

- a path that exists is that file, always: a local file wins over a pack of the same name;
- otherwise a bare name (no folder), with or without ``.yaml``, that names a shipped pack is that
  pack;
- otherwise it is an error that names the shipped packs.

A name with a folder in it never reaches the packs, so a pack name cannot be a way out of the
packs' folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from responsible_ai.errors import PolicyError, PolicyIssue
from responsible_ai.resources import shipped_policies_dir

__all__ = ["NO_SUCH_PACK", "pack_names", "resolve_policy_path"]

PACK_SUFFIX = ".yaml"
NO_SUCH_PACK = (
    "no policy file of that name here, and no shipped policy pack of that name; give the path "
    "of a .yaml file or one of the shipped packs: {packs}"
)


def pack_names() -> list[str]:
    """The names of the shipped policy packs (``eeoc-four-fifths``, ...), sorted."""
    folder = shipped_policies_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name.removesuffix(PACK_SUFFIX) for p in folder.glob(f"*{PACK_SUFFIX}"))


def _is_bare_name(name: str) -> bool:
    return (
        bool(name)
        and name.isprintable()
        and name not in (".", "..")
        and Path(name).name == name
        and os.sep not in name
        and (os.altsep is None or os.altsep not in name)
    )


def resolve_policy_path(path: str | os.PathLike[str]) -> Path:
    """The policy file ``path`` names: itself when it exists, else the shipped pack of that name.

    Raises
    ------
    PolicyError
        ``path`` is a bare name that is neither an existing file nor a shipped pack.
    """
    given = Path(path)
    name = os.fspath(path)
    # lexists: a dangling symlink or a FIFO is the user's file; the reader says what is wrong
    if os.path.lexists(given) or not _is_bare_name(name):
        return given
    stem = name.removesuffix(PACK_SUFFIX)
    pack = shipped_policies_dir() / f"{stem}{PACK_SUFFIX}"
    if pack.is_file():
        return pack
    message = NO_SUCH_PACK.format(packs=", ".join(pack_names()) or "(none installed)")
    raise PolicyError([PolicyIssue(name, None, "", message)])

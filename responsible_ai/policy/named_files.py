"""Files a policy names (``data.train``, ``monitoring.reference``): where they are, and where not.

A relative name is relative to the folder of the policy file that sets the field, so a base
policy's reference data is found next to the base, not next to the policy that extends it. A
policy may name files under that folder only (``data.train``), or under the folder above it
(``monitoring.reference``: ``policies/`` and ``data/`` side by side in a project), plus the
folders the caller allows, such as the shipped sample data: a policy from someone else cannot
make an audit read ``../../other-project/customers.csv`` into a report (and only tables are read
at all: :data:`responsible_ai.data_files.TABLE_SUFFIXES`). The user's own ``--train`` /
``--reference`` is never restricted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from responsible_ai.errors import InputError
from responsible_ai.policy.reading import error_reason

if TYPE_CHECKING:
    from responsible_ai.policy.loader import LoadedPolicy

__all__ = ["UNUSABLE", "named_file"]

UNUSABLE = "{field} {path!r} is not a usable file name ({reason}); fix it in the policy"


def named_file(
    loaded: LoadedPolicy,
    field: tuple[str, ...],
    name: str,
    refused: str,
    also: Sequence[str | os.PathLike[str]] = (),
    levels_up: int = 0,
) -> Path:
    """The file ``name`` that the policy's ``field`` gives, relative to the declaring policy.

    Parameters
    ----------
    loaded : LoadedPolicy
    field : tuple of str
        Where the name is in the policy, e.g. ``("data", "train")``.
    name : str
        The name as written.
    refused : str
        The message when the file is outside the allowed folders (``{path}``, ``{home}``).
    also : list of paths
        Further folders the file may be in.
    levels_up : int
        How many folders above the declaring policy's folder the file may be in (0: under it).

    Raises
    ------
    InputError
        ``refused``: the name leads outside the allowed folders.
    """
    folder = loaded.folder_of(*field)
    home = folder.resolve()
    for _ in range(levels_up):
        home = home.parent
    roots = [home, *(Path(root).resolve() for root in also)]
    try:
        where = (folder.resolve() / name).resolve()
    except (OSError, RuntimeError, ValueError) as error:  # a NUL byte, a symlink loop
        reason = error_reason(error)
        raise InputError(UNUSABLE.format(field=".".join(field), path=name, reason=reason)) from None
    if not any(where.is_relative_to(root) for root in roots):
        raise InputError(refused.format(path=name, home=home))
    return folder / name  # as the user would write it: relative when the policy's path is

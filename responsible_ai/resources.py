"""Where the files shipped with the package are: the review app, the policy packs, sample data.

They live at the top of the repository (``app/``, ``policies/``, ``sample_data/``) and travel in the
wheel as package data under ``responsible_ai/_shipped/``. In a source checkout that folder holds
symlinks to the top-level folders, so the same :mod:`importlib.resources` lookup finds them in an
editable install, in a checkout on ``sys.path`` and in an installed wheel; nothing here depends on
where the checkout is or on the working directory.

Files the tool writes (trained reference models) never go into the package, which may be
read-only: they go under :func:`rai_home`.

Only the standard library: ``rai --help`` and policy loading import this module.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from responsible_ai.errors import InputError

__all__ = [
    "HOME_ENV",
    "app_script",
    "models_dir",
    "rai_home",
    "shipped_app_dir",
    "shipped_policies_dir",
    "shipped_sample_data_dir",
]

HOME_ENV = "RAI_HOME"
SHIPPED = "_shipped"
NOT_SHIPPED = (
    "the {what} is missing from the installed package ({path}); reinstall responsible-ai "
    "(pip install --force-reinstall responsible-ai), or on Windows clone with symlinks enabled "
    "(git clone -c core.symlinks=true)"
)


def _shipped(name: str) -> Path:
    """The shipped folder ``name`` as a path on disk (Streamlit and the policy loader need paths,
    not zip members)."""
    folder = files("responsible_ai").joinpath(SHIPPED, name)
    # resolved: in a checkout, messages and reports name app/, not the symlink that leads there
    return Path(str(folder)).resolve()


def _required(name: str, what: str) -> Path:
    path = _shipped(name)
    if not path.is_dir():
        raise InputError(NOT_SHIPPED.format(what=what, path=path))
    return path


def shipped_app_dir() -> Path:
    """The review app's folder: ``app/`` of the repository, shipped in the wheel.

    Raises
    ------
    InputError
        The installed package lacks it.
    """
    return _required("app", "review app")


def app_script() -> Path:
    """The review app's entry script, ``streamlit_app.py``."""
    return shipped_app_dir() / "streamlit_app.py"


def shipped_policies_dir() -> Path:
    """The policy packs: ``policies/`` of the repository, shipped in the wheel.

    Never raises: every policy load lists this folder among those ``extends`` may read, and a
    package without its packs must still load the user's own policies.
    """
    return _shipped("policies")


def shipped_sample_data_dir() -> Path:
    """The sample data sets: ``sample_data/`` of the repository, shipped in the wheel.

    :func:`responsible_ai.datasets.sample_data_dir` is what loaders use: it honours
    ``$RAI_SAMPLE_DATA`` first.

    Raises
    ------
    InputError
        The installed package lacks it.
    """
    return _required("sample_data", "sample data")


def rai_home() -> Path:
    """``$RAI_HOME``, or ``~/.responsible-ai``: where the store and caches live."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".responsible-ai").expanduser()


def models_dir() -> Path:
    """Where trained reference models are saved by default: ``$RAI_HOME/models`` (user-writable,
    never inside the installed package)."""
    return rai_home() / "models"

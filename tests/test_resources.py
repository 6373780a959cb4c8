"""The shipped files are found through importlib.resources; written files go under RAI_HOME."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from responsible_ai import resources
from responsible_ai.datasets import SAMPLE_DATA_ENV, sample_data_dir
from responsible_ai.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def test_in_a_checkout_the_shipped_folders_are_the_top_level_ones() -> None:
    assert resources.shipped_app_dir() == ROOT / "app"
    assert resources.app_script() == ROOT / "app" / "streamlit_app.py"
    assert resources.shipped_policies_dir() == ROOT / "policies"
    assert resources.shipped_sample_data_dir() == ROOT / "sample_data"


def test_the_working_directory_does_not_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(SAMPLE_DATA_ENV, raising=False)
    assert (sample_data_dir() / "german_credit.csv").is_file()
    assert (resources.shipped_policies_dir() / "eeoc-four-fifths.yaml").is_file()
    assert resources.app_script().is_file()


def test_a_package_without_its_files_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(resources, "files", lambda _package: tmp_path)
    for function, what, name in [
        (resources.shipped_app_dir, "review app", "app"),
        (resources.shipped_sample_data_dir, "sample data", "sample_data"),
    ]:
        message = resources.NOT_SHIPPED.format(what=what, path=tmp_path / "_shipped" / name)
        with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
            function()
    # a user's own policies still load: the packs' folder is only one place extends may look
    assert resources.shipped_policies_dir() == tmp_path / "_shipped" / "policies"


def test_reference_models_are_saved_under_rai_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from responsible_ai.reference_models import save_reference_model

    monkeypatch.setenv("RAI_HOME", str(tmp_path / "home"))
    path = save_reference_model("german_credit")
    assert path == tmp_path / "home" / "models" / "german_credit.skops"
    assert path.is_file()
    package = Path(resources.__file__).resolve().parent
    assert not path.resolve().is_relative_to(package)

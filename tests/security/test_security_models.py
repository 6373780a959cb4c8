"""Model files an attacker wrote: no payload runs without --trust-model, and each is exit 2.

Every hostile file is built by hand in tmp_path (see ``hostile_models``) and, if built, would write
a marker file; each test asserts the refusal a user sees and that the marker never appears.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from hostile_models import LENDING, hostile_trees, pickle_writing, rai, write_skops

from responsible_ai import audit
from responsible_ai.errors import InputError, UntrustedModelError
from responsible_ai.models import (
    PICKLE_NAMED_SKOPS,
    PICKLE_REFUSED,
    UNTRUSTED_TYPES,
    load_model,
    readable_names,
)
from responsible_ai.uploads import TRUST_MODELS_ENV, UPLOADED_PICKLE_REFUSED, load_uploaded_model

# Payloads that really run when every type the file lists is trusted (the loader before the
# allowlist did exactly that); the others are refused just the same but would fail on their own.
UNTRUSTED_NAMES = {
    "builtins.exec": "builtins.exec",
    "builtins.eval": "builtins.eval",
    "os.system": "os.system",
    "os.system as a function": "os.system",
    "builtins.getattr chain": "builtins.__import__, builtins.getattr",
    "numpy.load of a pickle": "numpy.load",
    "numpy.load as a function": "numpy.load",
    "scipy function": "scipy.io.loadmat",
    "sklearn function": "sklearn.utils._testing.assert_run_python_script_without_output",
    "operator.call": "builtins.__import__, builtins.getattr, operator.call",
    "operator.attrgetter": "operator.attrgetter",
    "functools.partial": "functools.partial, os.system",
    "importlib.import_module": "builtins.getattr, importlib.import_module",
    "loss node running exec": "builtins.exec",
    "estimator hiding exec": "builtins.exec",
}
LIVE = sorted(
    set(UNTRUSTED_NAMES) - {"numpy.load as a function", "scipy function", "operator.attrgetter"}
)


HOSTILE = sorted(UNTRUSTED_NAMES)


def test_every_hostile_tree_is_tested(tmp_path: Path) -> None:
    assert sorted(hostile_trees(tmp_path, tmp_path / "marker")) == HOSTILE


def hostile(tmp_path: Path, name: str) -> tuple[Path, Path]:
    marker = tmp_path / "marker"
    return write_skops(tmp_path / "model.skops", hostile_trees(tmp_path, marker)[name]), marker


def refusal(path: Path | str, name: str) -> str:
    return UNTRUSTED_TYPES.format(path=path, names=UNTRUSTED_NAMES[name])


@pytest.mark.parametrize("name", LIVE)
def test_payload_runs_when_the_files_own_list_is_trusted(tmp_path: Path, name: str) -> None:
    import skops.io as sio

    path, marker = hostile(tmp_path, name)
    with contextlib.suppress(Exception):
        sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert marker.exists(), "the payload is dead, so the tests below would prove nothing"


@pytest.mark.parametrize("name", HOSTILE)
def test_load_model_refuses(tmp_path: Path, name: str) -> None:
    path, marker = hostile(tmp_path, name)
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(refusal(path, name))}$"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_rai_check_refuses(root: Path, tmp_path: Path, name: str) -> None:
    path, marker = hostile(tmp_path, name)
    out = tmp_path / "report.json"
    result = rai("check", "sample_data/german_credit.csv", "--policy", LENDING, "--model",
                 str(path), "--output", str(out), cwd=root)  # fmt: skip
    assert (result.returncode, result.stderr) == (2, f"rai: error: {refusal(path, name)}\n")
    assert not marker.exists()
    assert not out.exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_rai_explain_refuses(root: Path, tmp_path: Path, name: str) -> None:
    path, marker = hostile(tmp_path, name)
    result = rai("explain", "sample_data/german_credit.csv", "--model", str(path),
                 "--sensitive", "sex", cwd=root)  # fmt: skip
    assert (result.returncode, result.stderr) == (2, f"rai: error: {refusal(path, name)}\n")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["builtins.exec", "os.system", "functools.partial"])
def test_rai_release_refuses(root: Path, tmp_path: Path, name: str) -> None:
    path, marker = hostile(tmp_path, name)
    result = rai("release", "sample_data/adult.csv", "--policy", "policies/dp-release.yaml",
                 "--model", str(path), "--dry-run", "--ledger", str(tmp_path / "ledger.db"),
                 cwd=root)  # fmt: skip
    assert (result.returncode, result.stderr) == (2, f"rai: error: {refusal(path, name)}\n")
    assert not marker.exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_audit_api_refuses(root: Path, tmp_path: Path, name: str) -> None:
    path, marker = hostile(tmp_path, name)
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(refusal(path, name))}$"):
        audit(root / "sample_data/german_credit.csv", root / LENDING, model=path)
    assert not marker.exists()


@pytest.mark.parametrize("name", HOSTILE)
def test_app_upload_refuses(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRUST_MODELS_ENV, raising=False)
    path, marker = hostile(tmp_path, name)
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(refusal('up.skops', name))}$"):
        load_uploaded_model("up.skops", path.read_bytes())
    assert not marker.exists()


def test_trust_model_is_the_only_way_a_payload_runs(root: Path, tmp_path: Path) -> None:
    path, marker = hostile(tmp_path, "builtins.exec")
    result = rai("check", "sample_data/german_credit.csv", "--policy", LENDING, "--model",
                 str(path), cwd=root)  # fmt: skip
    assert result.returncode == 2
    assert not marker.exists()
    result = rai("check", "sample_data/german_credit.csv", "--policy", LENDING, "--model",
                 str(path), "--trust-model", cwd=root)  # fmt: skip
    assert marker.exists(), "the user opted in: the file loads as skops would load it"
    assert result.returncode == 2, result.stderr  # what exec returned is no model
    assert "has no predict method" in result.stderr


def test_upload_trusts_only_when_the_operator_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, marker = hostile(tmp_path, "os.system")
    monkeypatch.setenv(TRUST_MODELS_ENV, "0")
    with pytest.raises(UntrustedModelError):
        load_uploaded_model("up.skops", path.read_bytes())
    assert not marker.exists()
    monkeypatch.setenv(TRUST_MODELS_ENV, "1")
    with pytest.raises(InputError, match="has no predict method"):
        load_uploaded_model("up.skops", path.read_bytes())
    assert marker.exists()


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib", ".sav"])
def test_pickle_payload_is_refused(root: Path, tmp_path: Path, suffix: str) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / f"model{suffix}"
    path.write_bytes(pickle_writing(marker))
    kind = "joblib" if suffix == ".joblib" else "pickle"
    expected = PICKLE_REFUSED.format(path=path, kind=kind)
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(expected)}$"):
        load_model(path)
    result = rai("check", "sample_data/german_credit.csv", "--policy", LENDING, "--model",
                 str(path), cwd=root)  # fmt: skip
    assert (result.returncode, result.stderr) == (2, f"rai: error: {expected}\n")
    upload = UPLOADED_PICKLE_REFUSED.format(name=f"up{suffix}", kind=kind)
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(upload)}$"):
        load_uploaded_model(f"up{suffix}", path.read_bytes())
    assert not marker.exists()


def test_pickle_runs_only_with_trust_model(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle_writing(marker))
    with pytest.raises(InputError, match="has no predict method"):
        load_model(path, trust_model=True)
    assert marker.exists()


@pytest.mark.parametrize("trust", [False, True])
def test_pickle_named_skops_never_unpickles(
    tmp_path: Path, trust: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "marker"
    path = tmp_path / "model.skops"
    path.write_bytes(pickle_writing(marker))
    expected = PICKLE_NAMED_SKOPS.format(path=path, kind="pickle")
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(expected)}$"):
        load_model(path, trust_model=trust)
    monkeypatch.setenv(TRUST_MODELS_ENV, "1" if trust else "0")
    if trust:
        upload = PICKLE_NAMED_SKOPS.format(path="up.skops", kind="pickle")
    else:
        upload = UPLOADED_PICKLE_REFUSED.format(name="up.skops", kind="pickle")
    with pytest.raises(UntrustedModelError, match=f"^{re.escape(upload)}$"):
        load_uploaded_model("up.skops", path.read_bytes())
    assert not marker.exists()


def test_untrusted_names_are_escaped_and_cut_short(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    names = ["evil\n\x1b[31mred", "Z" * 500, *(f"mod{i}.f" for i in range(40))]
    content = [{"__class__": n, "__module__": "m", "__loader__": "FunctionNode"} for n in names]
    tree = {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode",
            "content": content}  # fmt: skip
    path = write_skops(tmp_path / "model.skops", tree)
    with pytest.raises(UntrustedModelError) as raised:
        load_model(path)
    message = str(raised.value)
    assert "\n" not in message and "\x1b" not in message
    assert "m.evil\\n\\x1b[31mred" in message
    assert message.count("Z") < 100
    assert " and 36 more;" in message
    assert readable_names([f"m.{n}" for n in sorted(names)]) in message
    assert not marker.exists()

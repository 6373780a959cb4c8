"""Hostile model files written by hand (a ``schema.json`` in a zip, as an attacker would), and
the in-process ``rai`` runner the tests use.

Every payload, if built, creates a marker file; the security tests prove it is never built. Each
hostile tree hides its call in a place skops constructs on load: a constructor node calls its
named callable with the file's arguments, and a dict node calls each of its "key types" with a
key, so a key type that is ``os.system`` runs the key as a shell command.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import subprocess
import zipfile
from pathlib import Path
from typing import Any

Node = dict[str, Any]
LENDING = "policies/german-credit-lending.yaml"


def rai(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the CLI in-process; exit code, stdout and stderr as a subprocess would give."""
    from responsible_ai.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def json_value(value: Any) -> Node:
    return {
        "__class__": type(value).__name__,
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
    }


def value(item: Any) -> Node:
    return item if isinstance(item, dict) else json_value(item)


def tuple_of(*items: Any) -> Node:
    content = [value(item) for item in items]
    return {
        "__class__": "tuple",
        "__module__": "builtins",
        "__loader__": "TupleNode",
        "content": content,
    }


def list_of(*items: Any) -> Node:
    content = [value(item) for item in items]
    return {
        "__class__": "list",
        "__module__": "builtins",
        "__loader__": "ListNode",
        "content": content,
    }


def call(module: str, name: str, *args: Any) -> Node:
    """``module.name(*args)``, run by skops while it builds the object."""
    return {
        "__class__": name,
        "__module__": module,
        "__loader__": "ConstructorFromReduceNode",
        "content": tuple_of(*args),
    }


def type_of(module: str, name: str) -> Node:
    return {"__class__": name, "__module__": module, "__loader__": "TypeNode"}


def function(module: str, name: str) -> Node:
    return {"__class__": name, "__module__": module, "__loader__": "FunctionNode"}


def partial(func: Node, *args: Any) -> Node:
    return {
        "__class__": "partial",
        "__module__": "functools",
        "__loader__": "PartialNode",
        "content": {
            "func": func,
            "args": tuple_of(*args),
            "kwds": {
                "__class__": "dict",
                "__module__": "builtins",
                "__loader__": "DictNode",
                "content": {},
                "key_types": list_of(),
            },
            "namespace": json_value(None),
        },
    }


def attrgetter(*names: str) -> Node:
    return {
        "__class__": "attrgetter",
        "__module__": "operator",
        "__loader__": "OperatorFuncNode",
        "attrs": tuple_of(*names),
    }


def called_with(callable_node: Node, argument: str) -> Node:
    """A dict whose only key is built by calling ``callable_node(argument)``."""
    return {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": {argument: json_value(0)},
        "key_types": list_of(callable_node),
    }


def write_skops(path: Path, root: Node) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "schema.json", json.dumps({**root, "protocol": 2, "_skops_version": "0.16.0"})
        )
    return path


def python_writing(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')"


def shell_writing(marker: Path) -> str:
    return f"touch '{marker}'"


class MarkerPickle:
    """Unpickling this runs ``exec`` on code that writes the marker (pickle's ``__reduce__``)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (exec, (python_writing(self.marker),))


def pickle_writing(marker: Path) -> bytes:
    return pickle.dumps(MarkerPickle(marker), protocol=4)


def hostile_trees(tmp_path: Path, marker: Path) -> dict[str, Node]:
    """Every hostile tree, by the name the tests report. Each writes ``marker`` if built."""
    evil_pickle = tmp_path / "evil.npy"
    evil_pickle.write_bytes(pickle_writing(marker))
    os_system = call("builtins", "getattr", call("builtins", "__import__", "os"), "system")
    return {
        "builtins.exec": call("builtins", "exec", python_writing(marker)),
        "builtins.eval": call(
            "builtins", "eval", f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
        ),
        "os.system": call("os", "system", shell_writing(marker)),
        "os.system as a function": called_with(function("os", "system"), shell_writing(marker)),
        "builtins.getattr chain": called_with(os_system, shell_writing(marker)),
        "numpy.load of a pickle": call("numpy", "load", str(evil_pickle), None, True),
        "numpy.load as a function": called_with(function("numpy", "load"), str(evil_pickle)),
        "scipy function": called_with(function("scipy.io", "loadmat"), str(evil_pickle)),
        "sklearn function": called_with(
            function("sklearn.utils._testing", "assert_run_python_script_without_output"),
            python_writing(marker),
        ),
        "operator.call": call("operator", "call", os_system, shell_writing(marker)),
        "operator.attrgetter": called_with(attrgetter("system"), shell_writing(marker)),
        "functools.partial": called_with(partial(function("os", "system")), shell_writing(marker)),
        "importlib.import_module": called_with(
            call("builtins", "getattr", call("importlib", "import_module", "os"), "system"),
            shell_writing(marker),
        ),
        "loss node running exec": {
            "__class__": "exec",
            "__module__": "builtins",
            "__loader__": "LossNode",
            "__reduce__": {"args": tuple_of(python_writing(marker))},
            "content": {
                "__class__": "dict",
                "__module__": "builtins",
                "__loader__": "DictNode",
                "content": {},
                "key_types": list_of(),
            },
        },
        "estimator hiding exec": {
            "__class__": "FunctionTransformer",
            "__module__": "sklearn.preprocessing._function_transformer",
            "__loader__": "ObjectNode",
            "content": {
                "__class__": "dict",
                "__module__": "builtins",
                "__loader__": "DictNode",
                "content": {"func": call("builtins", "exec", python_writing(marker))},
                "key_types": list_of(type_of("builtins", "str")),
            },
        },
    }

"""Read a policy file within fixed bounds and parse it as plain YAML data, with line numbers.

Whoever writes a policy may try to exhaust memory or reach other files, so reading is bounded
before anything is built:

- only a regular file is read (a directory, FIFO, socket or device is refused without opening it
  for long: a FIFO is opened non-blocking), and at most :data:`MAX_POLICY_BYTES` (256 KiB: the
  largest shipped pack is 4 KB, and PyYAML's pure-Python scanner, which the bounds below hook
  into, takes up to about 5 s per MiB);
- the text must be UTF-8 without NUL bytes or control characters;
- YAML anchors and aliases are refused outright (a policy reuses another through ``extends``), so
  an alias bomb fails at its first ``&`` without expanding anything;
- nesting deeper than :data:`MAX_POLICY_DEPTH` is refused while scanning, before PyYAML's
  recursive composer (and its quadratic scanner on deep flow collections) could be reached;
- more than :data:`MAX_POLICY_NODES` keys and values are refused while composing, so that no
  policy costs more than a moment to validate;
- explicit tags other than the plain-data ones (``!!str``, ``!!int``, ...) are refused, and the
  safe loader never builds objects.

A file that is not a policy (``/etc/passwd`` given by mistake, or named by ``extends``) is never
quoted: it is reported by its name and what is wrong with it. Only once a file looks like a
policy (see :func:`_looks_like_a_policy`) do messages quote its values, shortened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent, ScalarEvent

from responsible_ai.errors import PolicyError, PolicyIssue

__all__ = [
    "MAX_POLICY_BYTES",
    "MAX_POLICY_DEPTH",
    "MAX_POLICY_NODES",
    "Location",
    "PathInDocument",
    "check_data_bounds",
    "dotted_path",
    "error_reason",
    "parse_policy",
    "read_policy_file",
    "shown_value",
]

MAX_POLICY_BYTES = 256 * 1024
MAX_POLICY_DEPTH = 64
MAX_POLICY_NODES = 10_000

Location = tuple[str, int]
PathInDocument = tuple[str | int, ...]

NOT_FOUND = "policy file not found"
IS_DIRECTORY = "is a directory, not a policy file; give the path of a .yaml file"
NOT_REGULAR = "is not a regular file (a FIFO, socket or device); give the path of a .yaml file"
UNREADABLE = "cannot read the policy file ({reason}); check the path and its permissions"
TOO_LARGE = (
    "the policy file is larger than {limit} bytes (256 KiB), the most a policy may be; "
    "split it with 'extends'"
)
EMPTY = "the policy file is empty; a policy needs at least 'name' and 'checks'"
BINARY = "a binary file (it holds NUL bytes), not YAML text; give a policy .yaml file"
NOT_UTF8 = "not UTF-8 text (undecodable byte at line {line}); save the policy as UTF-8"
CONTROL_CHARACTER = (
    "invalid YAML: control character #x{code:02x} is not allowed; policies are plain text"
)
ALIAS = (
    "YAML anchors and aliases (&name, *name) are not allowed in a policy; "
    "write the value out, or reuse another policy with 'extends'"
)
TAG = (
    "YAML tags that build objects (such as !!python/object) are not allowed; "
    "a policy is plain data: remove the tag"
)
TOO_DEEP = (
    "nested deeper than {limit} levels, the most a policy may be; a policy is a few levels deep"
)
TOO_MANY_NODES = (
    "more than {limit} keys and values, the most a policy may hold; split it with 'extends'"
)
NOT_A_MAPPING = "a policy must be a mapping of keys to values; got {kind}"
NOT_A_POLICY = (
    "not a policy file: most of its top-level keys are not policy fields (name, checks, data, "
    "...); 'rai policy schema' lists them"
)

# Explicit tags that only say which plain type a scalar or collection is.
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "map", "seq")
)


class _Refused(Exception):
    """A bound was crossed; carries the 1-based line and the message."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with depth, anchors and tags checked as the text is read."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._node_depth = 0
        self._nodes = 0

    def _check_depth(self) -> None:
        # ``indents`` grows by one per block level and ``flow_level`` per [ or {.
        if len(self.indents) + self.flow_level > MAX_POLICY_DEPTH:
            raise _Refused(self.line + 1, TOO_DEEP.format(limit=MAX_POLICY_DEPTH))

    def add_indent(self, column: int) -> bool:
        added = bool(super().add_indent(column))
        if added:
            self._check_depth()
        return added

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        super().fetch_flow_collection_start(TokenClass)
        self._check_depth()

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, AliasEvent) or (
            isinstance(event, NodeEvent) and event.anchor is not None
        ):
            raise _Refused(line, ALIAS)
        tag = event.tag if isinstance(event, ScalarEvent | CollectionStartEvent) else None
        if tag is not None and tag != "!" and tag not in _PLAIN_TAGS:
            raise _Refused(line, TAG)
        self._nodes += 1
        if self._nodes > MAX_POLICY_NODES:
            raise _Refused(line, TOO_MANY_NODES.format(limit=MAX_POLICY_NODES))
        self._node_depth += 1
        try:
            if self._node_depth > MAX_POLICY_DEPTH:
                raise _Refused(line, TOO_DEEP.format(limit=MAX_POLICY_DEPTH))
            return super().compose_node(parent, index)
        finally:
            self._node_depth -= 1


def read_policy_file(file: Path) -> bytes:
    """The bytes of a policy file: a regular file of at most :data:`MAX_POLICY_BYTES`.

    Raises
    ------
    PolicyError
        The path is missing, not a regular file, unreadable or too large.
    """
    name = str(file)
    try:
        info = os.stat(file)
    except FileNotFoundError:
        raise _issue(name, None, NOT_FOUND) from None
    except (OSError, ValueError) as error:
        raise _issue(name, None, UNREADABLE.format(reason=error_reason(error))) from None
    if stat.S_ISDIR(info.st_mode):
        raise _issue(name, None, IS_DIRECTORY)
    if not stat.S_ISREG(info.st_mode):
        raise _issue(name, None, NOT_REGULAR)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(file, flags)
    except OSError as error:
        raise _issue(name, None, UNREADABLE.format(reason=error_reason(error))) from None
    with os.fdopen(descriptor, "rb") as handle:
        # the path may have been swapped for a FIFO or device since the stat above
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise _issue(name, None, NOT_REGULAR)
        content = handle.read(MAX_POLICY_BYTES + 1)
    if len(content) > MAX_POLICY_BYTES:
        line = content[:MAX_POLICY_BYTES].count(b"\n") + 1
        raise _issue(name, line, TOO_LARGE.format(limit=MAX_POLICY_BYTES))
    return content


def parse_policy(
    content: bytes, name: str
) -> tuple[dict[str, Any], dict[PathInDocument, Location]]:
    """Parse policy bytes into plain data and the line of every key and item.

    Raises
    ------
    PolicyError
        Too large, not text, not YAML, not a mapping, not a policy, or duplicate keys.
    """
    if len(content) > MAX_POLICY_BYTES:
        line = content[:MAX_POLICY_BYTES].count(b"\n") + 1
        raise _issue(name, line, TOO_LARGE.format(limit=MAX_POLICY_BYTES))
    if not content.strip():
        raise _issue(name, 1, EMPTY)
    if b"\x00" in content:
        raise _issue(name, content[: content.index(b"\x00")].count(b"\n") + 1, BINARY)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise _issue(name, line, NOT_UTF8.format(line=line)) from None
    node, data = _load(text, name)
    if data is None:  # only comments, or an empty document
        raise _issue(name, 1, EMPTY)
    if not isinstance(data, dict):
        raise _issue(name, 1, NOT_A_MAPPING.format(kind=_kind(data)))
    if not _looks_like_a_policy(data):
        raise _issue(name, None, NOT_A_POLICY)
    locations: dict[PathInDocument, Location] = {}
    issues: list[PolicyIssue] = []
    if node is not None:
        _locate(node, (), name, locations, issues)
    if issues:
        raise PolicyError(issues)
    return data, locations


def check_data_bounds(data: object, name: str) -> None:
    """The same depth and size bounds for a policy given as Python data (a dict).

    Walks without recursion, so that a list nested 100,000 deep (or one that holds itself) is
    refused instead of crashing the validator.

    Raises
    ------
    PolicyError
        Deeper than :data:`MAX_POLICY_DEPTH` or more than :data:`MAX_POLICY_NODES` values.
    """
    pending: list[tuple[object, int]] = [(data, 1)]
    nodes = 1
    while pending:
        value, depth = pending.pop()
        if not isinstance(value, dict | list | tuple | set | frozenset):
            continue
        if depth > MAX_POLICY_DEPTH:
            raise _issue(name, None, TOO_DEEP.format(limit=MAX_POLICY_DEPTH))
        nodes += len(value)  # counted before they are queued: a huge list costs nothing
        if nodes > MAX_POLICY_NODES:
            raise _issue(name, None, TOO_MANY_NODES.format(limit=MAX_POLICY_NODES))
        items = value.values() if isinstance(value, dict) else value
        pending.extend((item, depth + 1) for item in items)


def _load(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    loader: _BoundedLoader | None = None
    try:
        loader = _BoundedLoader(text)  # reading starts here: control characters are found now
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as refused:
        raise _issue(name, refused.line, refused.message) from None
    except yaml.reader.ReaderError as error:
        at = text[: error.position].count("\n") + 1
        code = error.character if isinstance(error.character, int) else 0
        raise _issue(name, at, CONTROL_CHARACTER.format(code=code)) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        # PyYAML's context and problem describe the grammar and quote at most one character
        problem = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise _issue(name, line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError:
        raise _issue(name, None, "invalid YAML") from None
    finally:
        if loader is not None:
            loader.dispose()
    return node, data


def _looks_like_a_policy(data: dict[Any, Any]) -> bool:
    """At least half of the top-level keys are policy fields.

    A typo or two still gets the full report, key by key; a file that is something else (a
    kubeconfig, a JSON key file) is named but never quoted.
    """
    from responsible_ai.policy.schema import Policy

    known = sum(1 for key in data if isinstance(key, str) and key in Policy.model_fields)
    return 2 * known >= len(data)


def _locate(
    node: yaml.Node,
    path: PathInDocument,
    name: str,
    locations: dict[PathInDocument, Location],
    issues: list[PolicyIssue],
) -> None:
    locations.setdefault(path, (name, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # the schema reports a key that is not text
            key = key_node.value
            if key in seen:
                issues.append(
                    PolicyIssue(
                        name,
                        key_node.start_mark.line + 1,
                        dotted_path((*path, key)),
                        f"duplicate key {shown_value(key)}; the earlier value would be silently "
                        "replaced",
                    )
                )
            seen.add(key)
            locations[(*path, key)] = (name, key_node.start_mark.line + 1)
            _locate(value_node, (*path, key), name, locations, issues)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _locate(item, (*path, index), name, locations, issues)


def dotted_path(path: PathInDocument) -> str:
    """``checks[0].must``; a key that is not a plain word is quoted, control characters escaped."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        plain = str(part).replace("_", "a").replace("-", "a").isalnum()
        key = str(part) if plain else shown_value(part)
        text += f".{key}" if text else key
    return text


def shown_value(value: object, limit: int = 80) -> str:
    """A value as a message may quote it: repr (escapes control characters), truncated."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _kind(value: object) -> str:
    kinds = {list: "a list", str: "text", int: "a number", float: "a number", bool: "a boolean"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def error_reason(error: BaseException) -> str:
    """What went wrong with a path, in a few words (``No such file or directory``)."""
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    return str(error).split("\n")[0][:200] or type(error).__name__


def _issue(name: str, line: int | None, message: str) -> PolicyError:
    return PolicyError([PolicyIssue(name, line, "", message)])

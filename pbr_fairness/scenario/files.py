"""Scenario files and scenario codes: a scenario as YAML, and as a short text for an address.

A scenario file is YAML holding only what differs from the defaults, plus its ``kind`` and
``version``; :func:`read_scenario` validates it as a whole and reports every problem with
the key it is in. A scenario code is the same content as compact JSON, compressed and
written in URL-safe base64 (``"1"`` + the text, version 1), short enough for an address
even with a whole uploaded contract in it. The default scenario's code is empty.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pbr_fairness.errors import InputError, Problem
from pbr_fairness.scenario.model import SCENARIO_KIND, Scenario

__all__ = [
    "MAX_SCENARIO_BYTES",
    "load_scenario",
    "read_scenario",
    "save_scenario",
    "scenario_code",
    "scenario_from_code",
    "scenario_to_dict",
    "scenario_to_yaml",
]

#: Largest scenario accepted (file or decoded code): far above any real one.
MAX_SCENARIO_BYTES = 1_000_000
_CODE_VERSION = "1"


def scenario_to_dict(scenario: Scenario, *, full: bool = False) -> dict[str, Any]:
    """Return a scenario as plain data: only what differs from the defaults (or all)."""
    return scenario.model_dump(mode="json", exclude_defaults=not full, exclude_none=False)


def scenario_to_yaml(scenario: Scenario) -> str:
    """Return a scenario file's text (``kind`` and ``version`` first, then what differs).

    Examples
    --------
    >>> print(scenario_to_yaml(Scenario()), end="")
    kind: pbr-fairness scenario
    version: 1
    """
    data = {"kind": SCENARIO_KIND, "version": scenario.version, **scenario_to_dict(scenario)}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith("function"):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _validate(data: Any, *, source: str) -> Scenario:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError([Problem("a scenario file must hold a mapping of keys to values")],
                         source=source)
    if data.get("kind", SCENARIO_KIND) != SCENARIO_KIND:
        raise InputError(
            [Problem(f"not a scenario file (kind must be {SCENARIO_KIND!r})", column="kind")],
            source=source,
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (not allowed here); check its spelling"
            problems.append(Problem(msg, column=_location(err["loc"]) or None))
        raise InputError(problems, source=source) from None


def read_scenario(data: bytes | str, *, source: str = "scenario file") -> Scenario:
    """Read and validate a scenario from YAML text held in memory (e.g. an upload).

    Parameters
    ----------
    data : bytes or str
        The file's content.
    source : str, default "scenario file"
        Named in error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        When the text is not UTF-8 YAML or not a valid scenario (every problem named).

    Examples
    --------
    >>> read_scenario("designer: {view: gaps}").designer.view
    'gaps'
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_SCENARIO_BYTES:
        raise InputError([Problem(f"larger than {MAX_SCENARIO_BYTES:,} bytes")], source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(f"not UTF-8 text (byte {exc.start})")], source=source) from None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}")], source=source) from None
    return _validate(parsed, source=source)


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    InputError
        When it is not a valid scenario.
    """
    p = Path(path)
    return read_scenario(p.read_bytes(), source=str(p))


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write a scenario file; return its path."""
    p = Path(path)
    p.write_text(scenario_to_yaml(scenario), encoding="utf-8")
    return p


def scenario_code(scenario: Scenario) -> str:
    """Return the scenario as a short URL-safe text (empty for the default scenario).

    Examples
    --------
    >>> scenario_code(Scenario())
    ''
    >>> s = Scenario.model_validate({"designer": {"view": "gaps"}})
    >>> scenario_from_code(scenario_code(s)) == s
    True
    """
    data = scenario_to_dict(scenario)
    if not data:
        return ""
    text = json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8")
    packed = base64.urlsafe_b64encode(zlib.compress(text, 9)).decode("ascii").rstrip("=")
    return _CODE_VERSION + packed


def scenario_from_code(code: str, *, source: str = "the address") -> Scenario:
    """Return the scenario of a code made by :func:`scenario_code`.

    Raises
    ------
    InputError
        When the code is damaged (for example cut short when copied) or not a scenario.
    """
    code = code.strip()
    if not code:
        return Scenario()
    damaged = InputError(
        [Problem("the scenario in it cannot be read (was the address cut short when copied?)")],
        source=source,
    )
    if not code.startswith(_CODE_VERSION):
        raise damaged
    body = code[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflater = zlib.decompressobj()
        text = inflater.decompress(packed, MAX_SCENARIO_BYTES)
        if inflater.unconsumed_tail:
            raise damaged
        data = json.loads(text.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        raise damaged from None
    return _validate(data, source=source)

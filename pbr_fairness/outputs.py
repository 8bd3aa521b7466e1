"""Writing outputs safely: never over an input, atomically, in the format the name asks for.

Every command and every library writer goes through this module:

- :func:`check_output` refuses, *before any work starts*, an output that is empty, a folder
  where a file is wanted (or a file where a folder is), in a folder that does not exist, with
  an extension that does not match its format, or that resolves to one of the command's inputs
  (``predict --data x.csv --out x.csv`` would otherwise overwrite the caseload).
- :func:`atomic_path` and the ``write_*`` functions write to a temporary file in the same
  folder and rename it over the destination only when the write has succeeded, so a full disk
  or an interruption leaves the old file (or nothing) and never a half-written one. A failed
  write is an :class:`~pbr_fairness.errors.InputError` naming the file and the reason ("No
  space left on device"). Special files (``/dev/stdout``, ``/dev/full``, pipes) are written
  directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pbr_fairness.errors import InputError, Problem

__all__ = [
    "atomic_dir",
    "atomic_path",
    "check_output",
    "check_output_dir",
    "check_replaceable_dir",
    "same_file",
    "write_bytes",
    "write_json",
    "write_text",
]

PathLike = str | os.PathLike[str]


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name the same file (after resolving links and ``..``).

    Examples
    --------
    >>> same_file("x/../y.csv", "y.csv")
    True
    """
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def _special(path: Path) -> bool:
    """Tell whether a path is a character device, pipe or socket (written in place)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def check_output(
    path: PathLike | None,
    *,
    option: str,
    inputs: Iterable[PathLike | None] = (),
    suffixes: Sequence[str] | None = None,
    create_parent: bool = False,
) -> Path | None:
    """Check an output file before any work starts.

    Parameters
    ----------
    path : str or path-like, optional
        The output (``None``: nothing to check). ``"-"`` means standard output.
    option : str
        The option it comes from, named in messages (``"--json"``).
    inputs : iterable of path-like, default ()
        Files the command reads: the output must not be one of them.
    suffixes : sequence of str, optional
        Extensions allowed (lower case, with the dot), e.g. ``(".json",)``.
    create_parent : bool, default False
        Whether a missing parent folder will be created (otherwise it is an error).

    Returns
    -------
    pathlib.Path or None

    Raises
    ------
    InputError
        Naming the option and what is wrong.

    Examples
    --------
    >>> check_output("out.json", option="--json", suffixes=(".json",))
    PosixPath('out.json')
    """
    if path is None:
        return None
    text = os.fspath(path)
    if text == "-":
        return Path(text)
    if not text.strip() or text.strip() == ".":
        raise InputError([Problem("give a file name", column=option)])
    p = Path(text)
    if p.is_dir():
        raise InputError([Problem(f"{p} is a folder; give a file name", column=option)])
    if suffixes is not None and not _special(p) and p.suffix.lower() not in suffixes:
        raise InputError([Problem(
            f"{p.name} does not end in {' or '.join(suffixes)}; the format follows the"
            " extension", column=option)])
    for inp in inputs:
        if inp is not None and os.fspath(inp) not in ("", "-") and same_file(p, inp):
            raise InputError([Problem(
                f"{p} is also an input of this command; give another file name (an input is"
                " never overwritten)", column=option)])
    parent = p.parent
    if not parent.exists() and not create_parent:
        raise InputError([Problem(f"folder {parent} does not exist", column=option)])
    if parent.exists() and not parent.is_dir():
        raise InputError([Problem(f"{parent} is not a folder", column=option)])
    return p


def check_output_dir(
    path: PathLike | None,
    *,
    option: str,
    inputs: Iterable[PathLike | None] = (),
    names: Iterable[str] = (),
) -> Path | None:
    """Check an output folder: not a file, and none of ``names`` in it is an input.

    Parameters
    ----------
    path : str or path-like, optional
        The folder (created when written if it does not exist).
    option : str
        The option it comes from.
    inputs : iterable of path-like, default ()
        Files the command reads.
    names : iterable of str, default ()
        Files that will be written into the folder.

    Returns
    -------
    pathlib.Path or None

    Raises
    ------
    InputError
    """
    if path is None:
        return None
    text = os.fspath(path)
    if not text.strip():
        raise InputError([Problem("give a folder name", column=option)])
    p = Path(text)
    if p.exists() and not p.is_dir():
        raise InputError([Problem(f"{p} is a file; give a folder", column=option)])
    given = [i for i in inputs if i is not None and os.fspath(i) not in ("", "-")]
    for inp in given:
        if same_file(p, inp):
            raise InputError([Problem(f"{p} is an input of this command", column=option)])
        for name in names:
            if same_file(p / name, inp):
                raise InputError([Problem(
                    f"{p / name} would be written over an input of this command; give"
                    " another folder", column=option)])
    return p


def _write_temporary(directory: Path, data: bytes, prefix: str) -> Path:
    """Write ``data`` to a new temporary file in ``directory``; return its path."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _failed(path: Path, exc: OSError) -> InputError:
    return InputError([Problem(f"cannot write the file: {exc.strerror or exc}")],
                      source=str(path))


def write_bytes(path: PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or path-like
        Destination; its folder is created if missing. ``"-"`` writes to standard output.
    data : bytes
        Content.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        If the file cannot be written (full disk, no permission, ...); nothing is left behind.
    """
    p = Path(path)
    if os.fspath(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return p
    try:
        if _special(p):
            with p.open("wb") as fh:
                fh.write(data)
            return p
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = _write_temporary(p.parent, data, prefix=f".{p.name}.")
        try:
            os.replace(tmp, p)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    except OSError as exc:
        raise _failed(p, exc) from None
    return p


def write_text(path: PathLike, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`write_bytes`)."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: PathLike, obj: Any, *, indent: int = 2) -> Path:
    """Write an object as JSON atomically; NaN and infinities become ``null`` (strict JSON).

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> print(write_json(os.path.join(d, "x.json"), {"a": float("nan")}).read_text(), end="")
    {
      "a": null
    }
    """
    text = json.dumps(_strict(obj), indent=indent, default=str, allow_nan=False) + "\n"
    return write_text(path, text)


def _strict(obj: Any) -> Any:
    """Replace NaN and infinities (not JSON) by ``null``, recursively."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {k: _strict(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_strict(v) for v in obj]
    return obj


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Give a temporary path to write to; rename it to ``path`` when the block succeeds.

    For writers that take a file name (``DataFrame.to_parquet``, ``to_csv``). On an error the
    temporary file is removed and the destination is left as it was; an ``OSError`` becomes
    an :class:`~pbr_fairness.errors.InputError`.

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "t.txt")
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> open(target).read()
    'done'
    """
    p = Path(path)
    if _special(p):
        try:
            yield p
        except OSError as exc:
            raise _failed(p, exc) from None
        return
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=p.suffix)
        os.close(fd)
    except OSError as exc:
        raise _failed(p, exc) from None
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, p)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _failed(p, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def check_replaceable_dir(path: PathLike, *, names: Iterable[str] | None, option: str) -> None:
    """Refuse to replace a folder holding anything but ``names`` (or anything at all).

    Raises
    ------
    InputError
    """
    p = Path(path)
    if not p.exists():
        return
    if not p.is_dir():
        raise InputError([Problem(f"{p} is a file; give a folder", column=option)])
    allowed = set(names or ())
    other = sorted(e.name for e in p.iterdir() if e.name not in allowed)
    if other:
        shown = ", ".join(other[:5]) + (" ..." if len(other) > 5 else "")
        raise InputError([Problem(
            f"{p} already holds other files ({shown}); give a new or empty folder, or one"
            " written by this command", column=option)])


@contextlib.contextmanager
def atomic_dir(path: PathLike, *, names: Iterable[str] | None = None,
               option: str = "--out") -> Iterator[Path]:
    """Give a temporary folder to fill; it replaces ``path`` when the block succeeds.

    For outputs made of several files (a model directory): a reader never sees a half-written
    folder, and a failure (full disk, an error while training) leaves the old folder as it
    was. An ``OSError`` becomes an :class:`~pbr_fairness.errors.InputError`. A folder that
    holds anything but ``names`` is never replaced (``--out .`` must not remove the working
    folder): that is refused before the block runs.

    Examples
    --------
    >>> import tempfile, os
    >>> target = os.path.join(tempfile.mkdtemp(), "model")
    >>> with atomic_dir(target) as tmp:
    ...     _ = (tmp / "a.txt").write_text("1")
    >>> sorted(os.listdir(target))
    ['a.txt']
    """
    p = Path(path)
    check_replaceable_dir(p, names=names, option=option)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=p.parent, prefix=f".{p.name}."))
    except OSError as exc:
        raise _failed(p, exc) from None
    try:
        yield tmp
        old = None
        if p.exists():
            old = Path(tempfile.mkdtemp(dir=p.parent, prefix=f".{p.name}.old."))
            os.replace(p, old / p.name)
        os.replace(tmp, p)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _failed(p, exc) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

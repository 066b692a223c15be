"""Writing outputs safely: checked first, written to a temporary file, renamed into place.

Every writer in oacinsight (match, profile, area, the demo) writes through
:func:`atomic_output`: the bytes go to a hidden temporary file in the target folder, and
only a complete file is renamed over the target (``os.replace``, atomic on one file
system).  A run that fails, runs out of disk or is interrupted leaves the previous file (or
nothing) in place, never a partial or half-overwritten output.  Operating-system failures
become one-line :class:`~oacinsight.errors.OutputError` messages naming the file and what
to do.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from oacinsight.errors import OutputError

MAX_NAME_BYTES = 255
TEMP_PREFIX = ".oacinsight-"

_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space or write to another folder",
    errno.EDQUOT: "the disk quota is used up; free some space or write to another folder",
    errno.EACCES: "no permission to write there; choose another folder",
    errno.EPERM: "no permission to write there; choose another folder",
    errno.EROFS: "the folder is read-only; choose another folder",
    errno.ENAMETOOLONG: "the file name is too long; choose a shorter name",
    errno.ENOENT: "the folder does not exist; create it or choose another",
    errno.ENOTDIR: "part of the path is a file, not a folder; choose another path",
    errno.EISDIR: "it is a folder; give a file name such as results.csv",
    errno.EFBIG: "the file is too large for this disk; write to another folder",
    errno.EIO: "the disk reported an input/output error; write to another folder",
    errno.EEXIST: "part of the path is a file, not a folder; choose another path",
}


def describe_os_error(exc: BaseException) -> str:
    """What an operating-system error means for the user, without internals."""
    code = getattr(exc, "errno", None)
    if code in _ADVICE:
        return _ADVICE[code]
    text = str(exc).lower()
    if "no space left" in text or "disk is full" in text or "not enough space" in text:
        return _ADVICE[errno.ENOSPC]
    if "permission denied" in text or "read-only" in text:
        return _ADVICE[errno.EACCES]
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return f"the system refused ({reason}); choose another folder"


def check_output_path(path: str | os.PathLike[str], *, what: str = "output") -> Path:
    """Check an output path before any work is done; return it as a :class:`Path`.

    Refuses a folder, a name over 255 bytes, and a folder that cannot be created or
    written to.  The folder is created when missing.
    """
    out = Path(path)
    label = out.name or str(out)
    if not out.name or str(path).endswith(os.sep):
        raise OutputError(f"{what} {label}: is a folder; give a file name such as results.csv")
    for part in out.parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise OutputError(
                f"{what} {label[:60]}…: the name is over {MAX_NAME_BYTES} "
                "characters; choose a shorter name"
            )
    try:
        if out.is_dir():
            raise OutputError(f"{what} {label}: is a folder; give a file name such as results.csv")
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot write {what} {label} in {out.parent}: {describe_os_error(exc)}"
        ) from exc
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {what} {label} in {out.parent}: {_ADVICE[errno.EACCES]}")
    return out


def check_output_folder(path: str | os.PathLike[str], *, what: str = "output folder") -> Path:
    """Check a folder for outputs before any work: not a file, names not too long,
    creatable and writable (it is created when missing)."""
    out = Path(path)
    for part in out.parts:
        if len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
            raise OutputError(
                f"{what} {str(part)[:60]}…: the name is over {MAX_NAME_BYTES} "
                "characters; choose a shorter name"
            )
    try:
        if out.exists() and not out.is_dir():
            raise OutputError(
                f"{what} {out}: is a file; give a folder name (it is created when missing)"
            )
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create {what} {out}: {describe_os_error(exc)}") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in {what} {out}: {_ADVICE[errno.EACCES]}")
    return out


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same file (existing or not)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
        return pa.resolve() == pb.resolve()
    except OSError:
        return os.path.abspath(pa) == os.path.abspath(pb)


@contextmanager
def atomic_output(path: str | os.PathLike[str], *, what: str = "output") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any failure (including Ctrl-C) the temporary file is removed and ``path`` is left
    as it was.  ``OSError`` becomes :class:`OutputError` with a one-line reason.
    The temporary name keeps the suffix, so writers that go by the suffix still work.
    """
    out = check_output_path(path, what=what)
    tmp = out.with_name(f"{TEMP_PREFIX}{secrets.token_hex(6)}.part{out.suffix[:16]}")
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(f"{what} {out.name} was not written")
        os.replace(tmp, out)
    except BaseException as exc:
        _remove(tmp)
        cause = os_error_in(exc)
        if cause is None:
            raise
        raise OutputError(
            f"cannot write {what} {out.name} in {out.parent}: {describe_os_error(cause)}"
        ) from exc


def os_error_in(exc: BaseException) -> BaseException | None:
    """The operating-system error behind ``exc`` (itself, a wrapped one, or its cause):
    writers such as xlsxwriter wrap ``OSError`` in their own exception types."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        if isinstance(item, OSError | duckdb.IOException):
            return item
        seen.append(item)
        todo += [item.__cause__, item.__context__, *item.args]
    return None


def write_text_atomic(path: str | os.PathLike[str], text: str, *, what: str = "output") -> Path:
    """Write a text file (UTF-8) through :func:`atomic_output`."""
    with atomic_output(path, what=what) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _remove(tmp: Path) -> None:
    with suppress(OSError):
        tmp.unlink(missing_ok=True)

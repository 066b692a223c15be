"""Shared pieces of the command line: the command group, options and the error edge.

Every command module (:mod:`.app`, :mod:`.serve`, :mod:`.area`, :mod:`.survey`, ...)
imports ``app``, ``StoreOpt``, ``edge`` and ``err`` from here, so no command module
imports another (``cli.app`` re-exports them for older imports).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

try:  # typer >= 0.24 carries its own copy of click
    from typer._click import exceptions as cx
except ImportError:  # pragma: no cover
    from click import exceptions as cx  # type: ignore[no-redef]

from oacinsight.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    OacInsightError,
    one_line,
)


class OneLineGroup(TyperGroup):
    """The command group: usage errors (unknown option, bad value) as one line, exit 2."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            code = super().main(
                args=args,
                prog_name="oacinsight",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except cx.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help() if exc.ctx else "oacinsight --help")
            code = 0
        except cx.UsageError as exc:
            err(f"error: {usage_line(exc)}")
            code = EXIT_ERROR
        except typer.Abort:
            err("error: interrupted; nothing was written")
            code = EXIT_INTERRUPTED
        except cx.ClickException as exc:
            err(f"error: {one_line(exc.format_message())}")
            code = EXIT_ERROR
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def leave(code: int) -> NoReturn:
    """End the process with ``code`` the way the interpreter would, less its teardown.

    Freeing every module and object of a finished run (pandas, DuckDB, SciPy) costs the
    user about 0.2 s after the work is done.  So, as the interpreter does at exit, the
    other (non-daemon) threads are joined and the exit handlers run (temporary folders,
    Spark, logging); then the output streams are flushed and the process ends without
    the teardown.  ``OACINSIGHT_FULL_EXIT=1`` exits the ordinary way.
    """
    import atexit
    import threading

    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if os.environ.get("OACINSIGHT_FULL_EXIT") or run_handlers is None:
        sys.exit(code)
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # closed, or a closed pipe
            stream.flush()
    os._exit(code)


def usage_line(exc: cx.UsageError) -> str:
    """A usage error as one line, with where to get help."""
    command = exc.ctx.command_path.split(" ", 1)[1:] if exc.ctx else []
    helper = " ".join(["oacinsight", *command, "--help"])
    return one_line(f"{exc.format_message().rstrip('.')} (see '{helper}')")


app = typer.Typer(
    help="Offline customer insight from the Output Area Classification (OAC).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineGroup,
)
data_app = typer.Typer(
    help="Load official ONS files into the store and see what is loaded.", no_args_is_help=True
)
app.add_typer(data_app, name="data")

F = TypeVar("F", bound=Callable[..., Any])

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Store file (default: $OACINSIGHT_STORE or the user data dir)."),
]

EngineOpt = Annotated[
    str, typer.Option(help="duckdb (default, embedded) or spark (same outputs; docs/spark.md).")
]
SparkMasterOpt = Annotated[
    str | None, typer.Option(help="Spark master for --engine spark (default local[*]).")
]


@contextmanager
def engine_for(engine: str, master: str | None) -> Iterator[Any]:
    """None for the default engine; a :class:`~oacinsight.spark.engine.SparkEngine`
    for ``spark`` (on the active Spark session, or a new one stopped afterwards)."""
    if engine not in ("duckdb", "spark"):
        raise OacInsightError(f"unknown engine {engine!r}; use duckdb or spark")
    if engine == "duckdb":
        if master:
            raise OacInsightError("--spark-master needs --engine spark")
        yield None
        return
    from oacinsight.spark.engine import SparkEngine
    from oacinsight.spark.session import owned_session

    with owned_session(master) as session:
        yield SparkEngine(session)


def err(message: str) -> None:
    """Print one line to stderr."""
    typer.echo(message, err=True)


def edge(func: F) -> F:
    """Turn every failure into one line ``error: …`` on stderr and exit code 2.

    Library errors keep their message; Ctrl-C is exit 130; operating-system, memory and
    unexpected errors get a plain reason without internals (``OACINSIGHT_DEBUG=1`` shows
    the traceback of an unexpected error).
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, cx.ClickException):
            raise
        except BaseException as exc:  # the edge: everything becomes one line
            code, message = failure(exc, func.__name__.removesuffix("_cmd"))
            if message is None:
                raise
            err(f"error: {message}")
            raise typer.Exit(code) from None

    return wrapper  # type: ignore[return-value]


def interrupted(exc: BaseException | None) -> bool:
    """Whether Ctrl-C is behind ``exc`` (DuckDB reports it in several ways)."""
    import duckdb

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, KeyboardInterrupt | duckdb.InterruptException) or (
            isinstance(exc, RuntimeError | duckdb.Error) and "interrupt" in str(exc).lower()
        ):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def failure(exc: BaseException, command: str) -> tuple[int, str | None]:
    """Exit code and one-line message for an exception (None: let it through)."""
    import duckdb

    from oacinsight.outputs import describe_os_error

    if interrupted(exc):
        return EXIT_INTERRUPTED, "interrupted; no output was written or changed"
    if isinstance(exc, OacInsightError):
        return EXIT_ERROR, one_line(exc)
    if isinstance(exc, SystemExit | GeneratorExit):
        return 0, None
    if isinstance(exc, MemoryError | duckdb.OutOfMemoryException):
        return EXIT_ERROR, (
            "not enough memory; close other programs, or split the file and try again"
        )
    if isinstance(exc, OSError | duckdb.IOException):
        where = Path(str(getattr(exc, "filename", "") or "")).name
        return EXIT_ERROR, one_line(f"{where + ': ' if where else ''}{describe_os_error(exc)}")
    if os.environ.get("OACINSIGHT_DEBUG"):
        return 1, None
    return EXIT_ERROR, (
        f"'{command}' stopped on an unexpected internal problem; please "
        "report it with the command you ran (OACINSIGHT_DEBUG=1 shows the "
        "details)"
    )

"""Progress of long work: reported by the core through a callback, shown by the shells.

The core never prints.  Functions doing long work (``ingest``, ``match_file``,
``profile_wards``) take ``progress``, a callable receiving :class:`Step` values: a
message (``total`` None) or a measure of work done (``done`` of ``total`` ``unit``).
In library use it is None and nothing happens.

The command line passes :func:`console_progress`: on a terminal a progress bar per task
with rate and time left (drawn by `rich <https://rich.readthedocs.io>`_, which the
command line already uses through Typer, handles terminal width, colour and Windows
consoles, and redraws from any thread); elsewhere (a log file, a pipe, CI) plain lines,
at most one every few seconds per task.  Work that ends within a second shows nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

__all__ = ["Progress", "Step", "console_progress", "watch"]

#: A task is drawn only once it has run this long (seconds): quick work stays quiet.
DELAY = 1.0
#: Plain lines: at most one per task this often (seconds).
PLAIN_EVERY = 5.0
POLL = 0.25


@dataclass(frozen=True)
class Step:
    """One progress report: a message, or ``done`` of ``total`` ``unit`` of a task."""

    task: str
    done: float = 0.0
    total: float | None = None
    unit: str = ""

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def __str__(self) -> str:
        if self.total is None:
            return self.task
        return f"{self.task}: {self.done:,.0f} of {self.total:,.0f} {self.unit}".rstrip()


Progress = Callable[[Step], None]


def say(progress: Progress | None, message: str) -> None:
    """Report a message (nothing when ``progress`` is None)."""
    if progress is not None:
        progress(Step(message))


@contextmanager
def watch(
    progress: Progress | None, task: str, total: float, unit: str, fraction: Callable[[], float]
) -> Iterator[None]:
    """Report ``task`` while the block runs: ``fraction()`` (0-1; negative when unknown)
    is polled from a background thread every quarter second."""
    if progress is None:
        yield
        return
    progress(Step(task, 0.0, total, unit))
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(POLL):
            f = fraction()
            if f >= 0:
                progress(Step(task, min(f, 1.0) * total, total, unit))

    thread = threading.Thread(target=poll, name="oacinsight-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
    progress(Step(task, total, total, unit))


class _Plain:
    """Plain lines for logs and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def __call__(self, step: Step) -> None:
        if step.total is None:
            self._line(step.task)
            return
        now = time.monotonic()
        t0 = self.started.setdefault(step.task, now)
        if step.finished:
            if now - t0 >= DELAY and self.last.get(step.task) != -1:
                self._line(f"{step.task}: done in {now - t0:,.0f} s")
            self.last[step.task] = -1
            return
        if step.done <= 0 or now - t0 < DELAY or now - self.last.get(step.task, t0) < PLAIN_EVERY:
            return  # too soon, or nothing measured yet (no rate to give)
        self.last[step.task] = now
        self._line(f"{step.task}: {_detail(step, now - t0)}")

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        """Nothing to tidy up."""


def _detail(step: Step, elapsed: float) -> str:
    total = step.total or 0.0
    pct = 100 * step.done / total if total else 0.0
    rate = step.done / elapsed if elapsed > 0 else 0.0
    left = f", about {(total - step.done) / rate:,.0f} s left" if rate > 0 else ""
    return (
        f"{pct:.0f}% ({step.done:,.0f} of {total:,.0f} {step.unit}, "
        f"{rate:,.1f} {step.unit}/s{left})"
    )


class _Terminal:
    """Progress bars (rich) with rate and time left, started once work lasts a second."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream)
        self.bars: Any = None
        self.tasks: dict[str, Any] = {}
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()

    def __call__(self, step: Step) -> None:
        with self.lock:
            if step.total is None:
                target = self.bars.console if self.bars is not None else self.console
                target.print(step.task, markup=False, highlight=False)
                return
            now = time.monotonic()
            t0 = self.started.setdefault(step.task, now)
            if step.task not in self.tasks and now - t0 < DELAY:
                return
            if self.bars is None:
                self.bars = _bars(self.console)
                self.bars.start()
            if step.task not in self.tasks:
                self.tasks[step.task] = self.bars.add_task(
                    step.task, total=step.total, unit=step.unit
                )
            self.bars.update(self.tasks[step.task], completed=step.done, total=step.total)

    def close(self) -> None:
        with self.lock:
            if self.bars is not None:
                self.bars.stop()
                self.bars = None


def _bars(console: Any) -> Any:
    from rich.progress import (
        BarColumn,
        ProgressColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.progress import Progress as Bars
    from rich.text import Text

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            unit = task.fields.get("unit", "")
            return Text(f"{speed:,.1f} {unit}/s" if speed else "", style="progress.data.speed")

    return Bars(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        Rate(),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
        console=console,
    )


@contextmanager
def console_progress(stream: TextIO | None = None) -> Iterator[Progress]:
    """A :data:`Progress` for a command: bars on a terminal, plain lines elsewhere."""
    out = stream if stream is not None else sys.stderr
    shown: _Plain | _Terminal = _Terminal(out) if out.isatty() else _Plain(out)
    try:
        yield shown
    finally:
        shown.close()

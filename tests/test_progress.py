"""Progress reports: the core's callback, plain lines off a terminal, bars on one."""

from __future__ import annotations

import io
import threading

import pytest

from oacinsight import progress
from oacinsight.progress import Step, console_progress, watch


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progress.time, "monotonic", c)
    return c


def test_step_text():
    assert str(Step("loading x.csv")) == "loading x.csv"
    assert str(Step("loading x.csv", 12.4, 1165.0, "MB")) == "loading x.csv: 12 of 1,165 MB"
    assert Step("t", 3, 3).finished and not Step("t", 2, 3).finished and not Step("m").finished


def test_plain_lines_are_few_and_say_rate_and_time_left(clock):
    out = io.StringIO()
    with console_progress(out) as show:
        assert isinstance(show, progress._Plain)
        show(Step("loading big.csv as postcode_directory"))
        show(Step("loading big.csv", 0, 1000, "MB"))
        clock.now += 0.5
        show(Step("loading big.csv", 50, 1000, "MB"))  # too soon: nothing
        clock.now += 5.5  # 6 s in, 300 MB: 50 MB/s, 700 MB left: 14 s
        show(Step("loading big.csv", 300, 1000, "MB"))
        clock.now += 1
        show(Step("loading big.csv", 350, 1000, "MB"))  # within 5 s of the last line
        clock.now += 14
        show(Step("loading big.csv", 1000, 1000, "MB"))
        show(Step("quick", 0, 10, "rows"))
        show(Step("quick", 10, 10, "rows"))  # finished at once: nothing
    assert out.getvalue().splitlines() == [
        "loading big.csv as postcode_directory",
        "loading big.csv: 30% (300 of 1,000 MB, 50.0 MB/s, about 14 s left)",
        "loading big.csv: done in 21 s",
    ]


def test_watch_polls_the_fraction_and_ends_at_the_total():
    seen: list[Step] = []
    polled = threading.Event()

    def fraction() -> float:
        polled.set()
        return 0.5

    with watch(seen.append, "writing", 200, "rows", fraction):
        assert polled.wait(5)
    assert seen[0] == Step("writing", 0.0, 200, "rows")
    assert Step("writing", 100.0, 200, "rows") in seen
    assert seen[-1] == Step("writing", 200, 200, "rows")
    with watch(None, "quiet", 1, "", fraction):  # library use: nothing at all
        pass


def test_terminal_bars_start_after_a_second(clock):
    out = io.StringIO()
    bars = progress._Terminal(out)
    bars.console.file = out
    bars(Step("matching", 0, 100, "rows"))
    assert bars.bars is None  # not yet
    clock.now += 1.5
    bars(Step("matching", 60, 100, "rows"))
    assert bars.bars is not None
    (task,) = bars.bars.tasks
    assert task.description == "matching" and task.completed == 60 and task.total == 100
    bars(Step("a message"))
    bars.close()
    assert "a message" in out.getvalue()


def test_ingest_and_match_report_their_steps(tmp_path, tiny_store):
    from tests.tiny import write_tiny_reference

    from oacinsight.ingest import ingest
    from oacinsight.match import match_file
    from oacinsight.store import Store

    files = write_tiny_reference(tmp_path / "ref")
    seen: list[Step] = []
    with Store(tmp_path / "s.duckdb") as s:
        ingest(files, s, progress=seen.append)
    messages = [st.task for st in seen if st.total is None]
    assert messages[-1] == "building the postcode lookup"
    assert any(m.startswith("loading ") and " as postcode_directory" in m for m in messages)
    finished = [st for st in seen if st.finished]
    assert {st.task for st in finished} >= {
        "building the postcode lookup",
        *(f"loading {f.name}" for f in files),
    }
    csv = tmp_path / "c.csv"
    csv.write_text("id,postcode\n1,YY1 1AA\n2,\n")
    steps: list[Step] = []
    match_file(csv, tmp_path / "out.csv", store=tiny_store, progress=steps.append)
    assert [(st.task, st.done, st.total) for st in steps if st.finished] == [
        ("reading c.csv", csv.stat().st_size / 1e6, csv.stat().st_size / 1e6),
        ("writing out.csv", 2, 2),
    ]

"""Faults: bad output paths, a full or read-only disk, Ctrl-C and kill during output and
ingest.  Each must give one line ``error: …`` (exit 2, or 130 when interrupted) and leave
no partial output and an unchanged store."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.test_corpus import one_clean_line
from typer.testing import CliRunner

from oacinsight.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def customers(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    path.write_text(
        "id,postcode,name\n"
        + "".join(
            f"{i},YY1 1AA,{'=cmd' if i % 3 else 'x'}{i * 7919 % 100003}\n" for i in range(3000)
        )
    )
    return path


def match(customers: Path, out: Path | str, store: Path, *extra: str):
    return runner.invoke(
        app, ["match", str(customers), "-o", str(out), "--store", str(store), *extra]
    )


@contextmanager
def tiny_fs(path: Path, size: str = "64k", read_only: bool = False) -> Iterator[Path | None]:
    """A tiny tmpfs at ``path`` when this process may mount one (root), else None."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        yield None
        return
    opts = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, check=False
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def leftovers(folder: Path) -> list[Path]:
    return list(folder.glob(".oacinsight-*"))


# -- output paths -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("folder", "is a folder"),
        ("folder/", "is a folder"),
        ("x" * 300 + ".csv", "over 255 characters"),
        ("customers.csv/out.csv", "part of the path is a file"),
        ("out.txt", "unsupported output type"),
        ("customers.csv", "is the input file"),
    ],
)
def test_bad_output_paths(tmp_path, customers, tiny_store, target, message):
    (tmp_path / "folder").mkdir()
    before = customers.read_bytes()
    res = match(customers, str(tmp_path) + "/" + target, tiny_store)
    assert res.exit_code == 2, res.output
    assert message in one_clean_line(res.output)
    assert customers.read_bytes() == before
    assert not leftovers(tmp_path)


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("out.csv", "same file as the output"),
        ("customers.csv", "is the input file"),
        ("folder", "is a folder"),
    ],
)
def test_report_clashes_are_refused(tmp_path, customers, tiny_store, report, message):
    (tmp_path / "folder").mkdir()
    res = match(customers, tmp_path / "out.csv", tiny_store, "--report", str(tmp_path / report))
    assert res.exit_code == 2 and message in one_clean_line(res.output)
    assert not (tmp_path / "out.csv").exists()


def test_missing_folder_is_created(tmp_path, customers, tiny_store):
    out = tmp_path / "a" / "b" / "out.parquet"
    assert match(customers, out, tiny_store).exit_code == 0 and out.exists()


def test_read_only_folder(tmp_path, customers, tiny_store):
    with tiny_fs(tmp_path / "ro", read_only=True) as ro:
        if ro is None:
            folder = tmp_path / "ro"
            folder.chmod(0o555)
            if os.access(folder, os.W_OK):
                pytest.skip("cannot make a read-only folder here (root without mount)")
        res = match(customers, tmp_path / "ro" / "out.csv", tiny_store)
    assert res.exit_code == 2
    assert "choose another folder" in one_clean_line(res.output)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_disk_full_leaves_the_old_output(tmp_path, customers, tiny_store, suffix, monkeypatch):
    with tiny_fs(tmp_path / "full", size="16k") as full:
        folder = full or tmp_path / "full"
        out = folder / f"out{suffix}"
        out.write_bytes(b"OLD")
        if full is None:  # no tmpfs: a writer that fills the disk half-way
            _fail_writers(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
        res = match(customers, out, tiny_store)
        assert res.exit_code == 2, res.output
        assert "disk is full" in one_clean_line(res.output)
        assert out.read_bytes() == b"OLD"
        assert not leftovers(folder)


def _fail_writers(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> None:
    """Make every match writer write some bytes and then fail with ``exc``."""
    from oacinsight import match as match_module
    from oacinsight.store import matching

    def half(*args, **_kw):
        path = next(a for a in args if isinstance(a, Path))
        path.write_bytes(b"PARTIAL" * 100)
        raise exc

    monkeypatch.setattr(matching, "copy_matched", half)
    monkeypatch.setattr(match_module, "write_xlsx", half)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_ctrl_c_while_writing_keeps_the_old_output(
    tmp_path, customers, tiny_store, suffix, monkeypatch
):
    out = tmp_path / f"out{suffix}"
    out.write_bytes(b"OLD")
    _fail_writers(monkeypatch, KeyboardInterrupt())
    res = match(customers, out, tiny_store, "--report", str(tmp_path / "r.json"))
    assert res.exit_code == 130
    assert "interrupted" in one_clean_line(res.output)
    assert out.read_bytes() == b"OLD" and not (tmp_path / "r.json").exists()
    assert not leftovers(tmp_path)


def test_profile_output_faults(tmp_path, demo, monkeypatch):
    store, files = demo
    (tmp_path / "folder").mkdir()
    for target, message in (
        ("folder", "is a folder"),
        ("p" * 300 + ".csv", "over 255"),
        (files.customers.name, "is the input file"),
    ):
        out = (files.customers.parent if target == files.customers.name else tmp_path) / target
        res = runner.invoke(
            app, ["profile", str(files.customers), "-o", str(out), "--store", str(store)]
        )
        assert res.exit_code == 2 and message in one_clean_line(res.output), res.output
    from oacinsight.profile import result

    out = tmp_path / "p.xlsx"
    out.write_bytes(b"OLD")
    monkeypatch.setattr(result.ProfileResult, "_write_xlsx", _partial_then_interrupt)
    res = runner.invoke(
        app, ["profile", str(files.customers), "-o", str(out), "--store", str(store)]
    )
    assert res.exit_code == 130 and out.read_bytes() == b"OLD" and not leftovers(tmp_path)


def _partial_then_interrupt(self, path: Path) -> None:
    path.write_bytes(b"PARTIAL")
    raise KeyboardInterrupt


# -- the command line edge ----------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--port", "70000"],
        ["serve", "--port", "-1"],
        ["serve", "--port", "abc"],
        ["match"],
        ["match", "x.csv"],
        ["match", "x.csv", "-o", "y.csv", "--bogus"],
        ["profile", "x.csv", "-o", "y.csv", "--level"],
        ["data", "bogus"],
        ["bogus"],
        ["area"],
        ["schema", "--validate"],
    ],
)
def test_usage_errors_are_one_line(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    line = one_clean_line(res.output)
    assert "--help" in line


@pytest.mark.parametrize(
    "exc",
    [RuntimeError("boom"), MemoryError(), KeyError("x"), OSError(errno.EIO, "Input/output error")],
)
def test_unexpected_errors_are_one_line(tmp_path, customers, tiny_store, exc, monkeypatch):
    from oacinsight import match as match_module

    def explode(*_a, **_kw):
        raise exc

    monkeypatch.setattr(match_module, "_matched_rows", explode)
    res = match(customers, tmp_path / "o.csv", tiny_store)
    assert res.exit_code == 2
    one_clean_line(res.output)
    assert "boom" not in res.output


def test_duckdb_internal_errors_are_one_line(tmp_path, customers, tiny_store, monkeypatch):
    import duckdb

    from oacinsight import match as match_module

    def explode(*_a, **_kw):
        raise duckdb.BinderException('Binder Error: Column "pcds" referenced not found')

    monkeypatch.setattr(match_module, "_matched_rows", explode)
    res = match(customers, tmp_path / "o.csv", tiny_store)
    assert res.exit_code == 2 and "pcds" not in one_clean_line(res.output)


# -- ingest -------------------------------------------------------------------------------
def _store_state(path: Path) -> tuple:
    from oacinsight.store import Store

    with Store(path, read_only=True) as s:
        status = s.status()[["kind", "file_name", "row_count"]].to_dict("records")
        n = s.con.execute("SELECT count(*) FROM pc_lookup").fetchall()[0][0]
    return str(status), n


@pytest.fixture
def loaded_store(tmp_path: Path) -> Path:
    from tests.tiny import write_tiny_reference

    from oacinsight.ingest import ingest
    from oacinsight.store import Store

    path = tmp_path / "store.duckdb"
    with Store(path) as s:
        ingest(write_tiny_reference(tmp_path / "ref"), s)
    return path


def test_ctrl_c_during_ingest_leaves_the_store_unchanged(tmp_path, loaded_store, monkeypatch):
    from tests.tiny import write_tiny_reference

    import oacinsight.ingest as ingest_module

    before = _store_state(loaded_store)
    real = ingest_module._load_one
    calls = []

    def interrupt_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_load_one", interrupt_second)
    files = write_tiny_reference(tmp_path / "ref2")
    res = runner.invoke(app, ["data", "ingest", *map(str, files), "--store", str(loaded_store)])
    assert res.exit_code == 130, res.output
    assert "interrupted" in res.output.splitlines()[-1]
    assert _store_state(loaded_store) == before


def _big_nspl(folder: Path, rows: int) -> Path:
    from tests.tiny import NSPL_HEADER

    path = folder / "NSPL_NOV_2021_UK_ZZ.csv"
    blank = ["" for _ in NSPL_HEADER]
    idx = {c: i for i, c in enumerate(NSPL_HEADER)}
    with open(path, "w") as fh:
        fh.write(",".join(NSPL_HEADER) + "\n")
        for i in range(rows):
            row = list(blank)
            a, b = divmod(i, 100)
            pcds = f"YY{a % 90 + 10} {b % 10}{chr(65 + b // 10 % 26)}{chr(65 + a // 90 % 26)}"
            row[idx["pcds"]], row[idx["pcd"]], row[idx["pcd2"]] = pcds, pcds, pcds
            row[idx["oa11"]], row[idx["laua"]] = "E00000001", "E06000001"
            row[idx["dointr"]], row[idx["usertype"]] = "199001", "0"
            fh.write(",".join(row) + "\n")
    return path


def _cli(log: Path, *args: str) -> subprocess.Popen[bytes]:
    """The command in a subprocess, its stderr going to ``log`` (read while it runs)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    with open(log, "wb") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "oacinsight", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )


def _wait_for(proc: subprocess.Popen[bytes], ready) -> bool:
    """Poll until ``ready()`` or the process ends; True when ready while it still ran."""
    for _ in range(12000):
        if proc.poll() is not None:
            return False
        if ready():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_kill_during_ingest(tmp_path, loaded_store, sig):
    before = _store_state(loaded_store)
    big = _big_nspl(tmp_path, 200_000)
    log = tmp_path / "stderr.txt"
    proc = _cli(log, "data", "ingest", str(big), "--store", str(loaded_store))
    if not _wait_for(proc, lambda: b"loading " in log.read_bytes()):
        proc.wait()
        pytest.skip("ingest finished before it could be interrupted")
    proc.send_signal(sig)
    proc.wait(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, log.read_text()
        errors = [ln for ln in log.read_text().splitlines() if ln.startswith("error")]
        assert errors == ["error: interrupted; no output was written or changed"]
    assert _store_state(loaded_store) == before


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_kill_while_writing_output(tmp_path, tiny_store, sig):
    src = tmp_path / "big.csv"
    src.write_text(
        "id,postcode,note\n" + "".join(f"{i},YY1 1AA,note {i}\n" for i in range(600_000))
    )
    out = tmp_path / "out.csv"
    out.write_bytes(b"OLD")
    log = tmp_path / "stderr.txt"
    proc = _cli(log, "match", str(src), "-o", str(out), "--store", str(tiny_store))
    if not _wait_for(proc, lambda: bool(leftovers(tmp_path))):
        proc.wait()
        pytest.skip("the output was written before it could be interrupted")
    proc.send_signal(sig)
    proc.wait(timeout=120)
    assert out.read_bytes() == b"OLD"
    if sig == signal.SIGINT:
        assert proc.returncode == 130, log.read_text()
        assert one_clean_line(log.read_text()).startswith("error: interrupted")
        assert not leftovers(tmp_path)


def test_area_output_folder_checked_before_work(tmp_path, tiny_store):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for target, message in ((afile, "is a file"), (tmp_path / ("y" * 300), "over 255")):
        res = runner.invoke(
            app, ["area", "E06000001", "-o", str(target), "--store", str(tiny_store)]
        )
        assert res.exit_code == 2 and message in one_clean_line(res.output), res.output


def test_input_name_too_long(tmp_path, tiny_store):
    res = match(tmp_path / ("z" * 300 + ".csv"), tmp_path / "o.csv", tiny_store)
    assert res.exit_code == 2 and "the name is too long" in one_clean_line(res.output)

"""The command ends without the interpreter's teardown (``cli._common.leave``): the same
exit code, output, exit handlers and finished threads as an ordinary exit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import atexit, sys, threading, time
from oacinsight.cli._common import leave

atexit.register(lambda: print("handler ran"))
def work():
    time.sleep(0.3)
    open(sys.argv[1], "w").write("done")
threading.Thread(target=work).start()
sys.stdout.write("x" * 200000 + "\\n")
sys.stderr.write("to stderr\\n")
leave(3)
"""


@pytest.mark.parametrize("full", ["", "1"])
def test_leave_keeps_code_output_handlers_and_threads(tmp_path, full):
    marker = tmp_path / "marker.txt"
    env = {**os.environ, "OACINSIGHT_FULL_EXIT": full}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(marker)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 3
    assert done.stdout == "x" * 200000 + "\nhandler ran\n"
    assert done.stderr == "to stderr\n"
    assert marker.read_text() == "done"  # the thread finished before the process ended


def test_command_exit_codes_through_the_entry_point(tmp_path):
    """``python -m oacinsight``: a usage error exits 2 with one line, help exits 0."""
    bad = subprocess.run(
        [sys.executable, "-m", "oacinsight", "need", "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1
    ok = subprocess.run(
        [sys.executable, "-m", "oacinsight", "need", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0 and "--rates" in ok.stdout

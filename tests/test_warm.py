"""Modules imported on a thread ahead of need (``oacinsight.warm``)."""

from __future__ import annotations

import subprocess
import sys

from oacinsight.warm import warm


def _fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return done.stdout.strip()


def test_warm_imports_on_a_thread_and_the_later_import_gets_the_same_module():
    out = _fresh(
        "import sys; from oacinsight.warm import warm\n"
        "t = warm('colorsys', 'no_such_module_xyz')\n"
        "t.join()\n"
        "import colorsys\n"
        "print(sys.modules['colorsys'] is colorsys, t.daemon, 'no_such_module_xyz' in sys.modules)"
    )
    assert out == "True False False"


def test_nothing_to_warm_when_loaded():
    assert warm("sys", "os") is None


def test_need_leaves_scipy_to_the_thread():
    """Importing need does not import scipy (need_file warms it while the store is read)."""
    out = _fresh("import sys, oacinsight.need; print('scipy.special' in sys.modules)")
    assert out == "False"

"""The ``oacinsight`` command line: thin shells over the library.

``app`` (in :mod:`.app`) holds the core commands; other modules add theirs by importing
``app`` and decorating functions.  Importing this package registers them all.
"""

from oacinsight.cli import app as _core  # noqa: F401  (registers the core commands)
from oacinsight.cli import area as _area  # noqa: F401  (registers 'area')
from oacinsight.cli import build as _build  # noqa: F401  (registers 'build')
from oacinsight.cli import need as _need  # noqa: F401  (registers 'need')
from oacinsight.cli import serve as _serve  # noqa: F401  (registers 'serve')
from oacinsight.cli import survey as _survey  # noqa: F401  (registers 'survey')
from oacinsight.cli.app import app, edge, err, main

__all__ = ["app", "edge", "err", "main"]

"""oacinsight: offline customer insight from the Output Area Classification (OAC).

The library is the product; the command line (:mod:`oacinsight.cli`) and the web app
are thin shells over it.  Start with :class:`oacinsight.store.Store` and
:func:`oacinsight.match.match_file`.
"""

from oacinsight.errors import OacInsightError

__version__ = "0.1.0"

__all__ = ["OacInsightError", "__version__"]

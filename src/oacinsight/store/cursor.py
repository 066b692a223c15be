"""Deprecated alias: :class:`CursorStore` lives in :mod:`oacinsight.store` itself.

Kept so older imports keep working (it was here, which made ``store`` and
``store.cursor`` import each other).
"""

from oacinsight.store import CursorStore

__all__ = ["CursorStore"]

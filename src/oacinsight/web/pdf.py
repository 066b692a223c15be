"""Deprecated alias: the profile PDF lives in :mod:`oacinsight.reports.profile_pdf`.

Kept so older imports keep working (the core must not import ``web``).
"""

from oacinsight.reports.profile_pdf import profile_pdf

__all__ = ["profile_pdf"]

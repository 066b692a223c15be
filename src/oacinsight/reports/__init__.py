"""Printable reports: a reusable one-page PDF renderer and the area (ward) profile.

- :class:`OnePage` / :class:`Box` (:mod:`.pdf`): lay out text, key figures, PNG charts and
  small tables in boxes on one PDF page, always fitting on the page;
- :mod:`.charts`: matplotlib figures without pyplot, rendered to PNG bytes;
- :mod:`.area_profile`: the one-page ward / district profile (PDF and HTML).
"""

from oacinsight.reports.pdf import Box, OnePage, pdf_text

__all__ = ["Box", "OnePage", "pdf_text"]

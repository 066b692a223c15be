"""Errors the library raises for a user to read.

Every error a user can cause (a bad file, an unknown code, an empty store) is an
:class:`OacInsightError` with a one-line message.  The shells (CLI, web) turn it into a
non-zero exit or an HTTP 4xx at the edge; the library never prints or exits.
"""


class OacInsightError(Exception):
    """A problem with the user's input or the store, explained in one line."""


class InputFileError(OacInsightError):
    """An input file that cannot be used (empty, unreadable, no postcode column...)."""


class StoreError(OacInsightError):
    """The reference store lacks something the job needs, or cannot be opened."""


class IngestError(OacInsightError):
    """An official file that cannot be recognised or loaded."""

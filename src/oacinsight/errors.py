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


class OutputError(OacInsightError):
    """An output that cannot be written (folder missing or read-only, disk full...)."""


class InputLimitError(InputFileError):
    """An input larger than the configured limits (rows, unpacked size)."""


#: Exit codes of the command line (documented in docs/reliability.md).
EXIT_OK = 0
EXIT_PROBLEMS = 1  # ``schema --validate``: the file was read and has problems
EXIT_ERROR = 2  # any error: one line starting ``error:`` on stderr
EXIT_INTERRUPTED = 130  # Ctrl-C

MAX_MESSAGE = 400


def one_line(text: object) -> str:
    """``text`` as one printable line: line breaks and control characters become spaces
    or ``?``, and very long messages are cut (``…``)."""
    out = []
    for ch in str(text):
        if ch in "\r\n\t\v\f":
            out.append(" ")
        elif ch == "\ufffd" or (not ch.isprintable() and ch != " "):
            out.append("?")
        else:
            out.append(ch)
    line = " ".join("".join(out).split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"

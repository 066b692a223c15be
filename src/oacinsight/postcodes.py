"""UK postcode normalisation and validation, vectorised.

One grammar serves every caller: the regular expressions below are used by Python
(:func:`normalise`) and, through :mod:`oacinsight.store`, inside DuckDB for millions of
rows at once.  Both use the RE2/Python common subset, so they agree.

A postcode is reduced to a *key*: upper case, letters and digits only (``"wn1 1aa "``,
``"WN11AA"``, ``"WN1  1AA"`` all give ``WN11AA``).  The clean form puts one space before
the inward code (``WN1 1AA``, the ``pcds`` style of the postcode directory).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

#: Full UK grammar on the key (no spaces): outward A9, A99, A9A, AA9, AA99, AA9A, and the
#: inward code 9AA; letters excluded where Royal Mail never uses them.  ``GIR0AA`` is the
#: one historical exception.
POSTCODE_KEY_REGEX = (
    r"^(GIR0AA|[A-PR-UWYZ]([0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r"[0-9][ABD-HJLNP-UW-Z]{2})$"
)
#: British Forces Post Office addresses: valid mail addresses with no geography.
BFPO_REGEX = r"^BFPO[0-9]{1,4}$"
#: Characters removed when making the key.
STRIP_REGEX = r"[^A-Za-z0-9]"

_KEY = re.compile(POSTCODE_KEY_REGEX)
_BFPO = re.compile(BFPO_REGEX)
_STRIP = re.compile(STRIP_REGEX)


def postcode_key(value: object) -> str:
    """The matching key of one postcode: upper case, letters and digits only."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return _STRIP.sub("", str(value)).upper()


def format_key(key: str) -> str:
    """``WN11AA`` → ``WN1 1AA`` (one space before the inward code)."""
    return f"{key[:-3]} {key[-3:]}" if len(key) > 3 else key


def to_pcd(key: str) -> str:
    """7-character ``pcd`` style: ``B11AA`` → ``B1  1AA``, ``WN11AA`` → ``WN1 1AA``."""
    return f"{key[:-3]:<4}{key[-3:]}" if len(key) > 4 else key


def to_pcd2(key: str) -> str:
    """8-character ``pcd2`` style: ``WN11AA`` → ``WN1  1AA``."""
    return f"{key[:-3]:<5}{key[-3:]}" if len(key) > 4 else key


def classify(key: str) -> str:
    """``valid``, ``bfpo``, ``missing`` or ``invalid`` for one key."""
    if not key:
        return "missing"
    if _KEY.match(key):
        return "valid"
    if _BFPO.match(key):
        return "bfpo"
    return "invalid"


def normalise(values: Iterable[object] | pd.Series) -> pd.DataFrame:
    """Normalise and validate many postcodes at once.

    Parameters
    ----------
    values : iterable of str or None, length n
        Postcodes in any common spelling (``pcd``, ``pcd2``, ``pcds``, lower case,
        missing or extra spaces).

    Returns
    -------
    pandas.DataFrame, shape (n, 4)
        ``input``, ``key`` (letters and digits), ``postcode_clean`` (one space; empty
        when not a valid postcode) and ``kind`` (``valid``, ``bfpo``, ``missing``,
        ``invalid``).
    """
    s = pd.Series(list(values) if not isinstance(values, pd.Series) else values, dtype=object)
    keys = s.fillna("").astype(str).str.replace(STRIP_REGEX, "", regex=True).str.upper()
    valid = keys.str.match(POSTCODE_KEY_REGEX)
    kind = pd.Series("invalid", index=s.index, dtype=object)
    kind[keys.str.match(BFPO_REGEX)] = "bfpo"
    kind[valid] = "valid"
    kind[keys == ""] = "missing"
    clean = (keys.str[:-3] + " " + keys.str[-3:]).where(valid, "")
    return pd.DataFrame({"input": s, "key": keys, "postcode_clean": clean, "kind": kind})

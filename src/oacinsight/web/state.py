"""What the running app holds: the store (a cursor per job, so jobs run side by side)
and this session's uploads.

Uploads live only in a private temporary folder made when the app starts and deleted
when it stops; only the most recent few are kept.  Nothing is sent anywhere.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oacinsight.errors import InputFileError, OacInsightError
from oacinsight.match import MatchSummary
from oacinsight.store import Store
from oacinsight.web.limits import check_contents

UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".parquet")
DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_KEEP_UPLOADS = 5


class UploadTooLarge(OacInsightError):
    """An upload over the size limit."""


@dataclass
class Upload:
    """One uploaded customer file and what was worked out from it.

    Attributes
    ----------
    token : str
        Random, unguessable identifier used in URLs.
    name : str
        The file name the user gave (shown escaped, never used as a path).
    raw : pathlib.Path
        The uploaded bytes, in the app's temporary folder.
    matched : pathlib.Path
        The matched records (Parquet), written by the match.
    summary : MatchSummary or None
        The match summary.
    postcode_column : str or None
        The postcode column the user named, if any.
    results : dict
        Cached results (profiles by their options, map values...).
    """

    token: str
    name: str
    raw: Path
    matched: Path
    summary: MatchSummary | None = None
    postcode_column: str | None = None
    created: float = field(default_factory=time.time)
    results: dict[Any, Any] = field(default_factory=dict)


class WebState:
    """The app's store and uploads.

    Parameters
    ----------
    store_path : path
        The reference store, opened read-only.
    max_upload_bytes : int
        Largest upload accepted.
    keep_uploads : int
        Uploads kept; older ones are deleted.
    """

    def __init__(
        self,
        store_path: str | os.PathLike[str] | None,
        *,
        max_upload_bytes: int,
        keep_uploads: int = DEFAULT_KEEP_UPLOADS,
    ) -> None:
        self.store = Store(store_path, read_only=True)
        self.max_upload_bytes = int(max_upload_bytes)
        self.keep_uploads = int(keep_uploads)
        self.lock = threading.RLock()
        self.uploads: OrderedDict[str, Upload] = OrderedDict()
        self._tmp: Path | None = None
        self.cache: dict[Hashable, Any] = {}  # keyed by names and (kind, ...) tuples

    @property
    def tmp_path(self) -> Path | None:
        """The temporary folder if made (for taking its path out of messages)."""
        return self._tmp

    @property
    def tmp(self) -> Path:
        """The private temporary folder (made on first use)."""
        if self._tmp is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="oacinsight-web-"))
        return self._tmp

    @contextmanager
    def job(self) -> Iterator[Store]:
        """The store on a cursor of its own for one job, so a long match does not hold
        up the other pages (no lock: store functions share no temporary tables)."""
        with self.store.cursor() as store:
            yield store

    def new_upload(self, name: str, chunks: Iterator[bytes]) -> Upload:
        """Save an upload's bytes (refusing more than the limit) and register it."""
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise InputFileError(
                f"{name}: unsupported file type {suffix or '(none)'!r}; "
                "upload a CSV, XLSX or Parquet file"
            )
        token = secrets.token_urlsafe(12)
        folder = self.tmp / token
        folder.mkdir()
        raw = folder / safe_file_name(name, suffix)
        size = 0
        with open(raw, "wb") as fh:
            for chunk in chunks:
                size += len(chunk)
                if size > self.max_upload_bytes:
                    fh.close()
                    shutil.rmtree(folder, ignore_errors=True)
                    raise UploadTooLarge(too_large_message(self.max_upload_bytes))
                fh.write(chunk)
        try:
            if size == 0:
                raise InputFileError(f"{Path(name).name}: the file is empty")
            check_contents(raw, Path(name).name, max_upload_bytes=self.max_upload_bytes)
        except OacInsightError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload = Upload(token, Path(name).name, raw, folder / "matched.parquet")
        with self.lock:
            self.uploads[token] = upload
            while len(self.uploads) > self.keep_uploads:
                _, old = self.uploads.popitem(last=False)
                shutil.rmtree(old.raw.parent, ignore_errors=True)
        return upload

    def get(self, token: str) -> Upload:
        """The upload with this token."""
        upload = self.uploads.get(token)
        if upload is None:
            raise UploadGone(
                "this upload is no longer held (the app keeps the last "
                f"{self.keep_uploads} files of this session): upload it again"
            )
        return upload

    def forget(self, token: str) -> None:
        """Delete one upload now."""
        with self.lock:
            upload = self.uploads.pop(token, None)
        if upload is not None:
            shutil.rmtree(upload.raw.parent, ignore_errors=True)

    def close(self) -> None:
        """Delete every upload and close the store."""
        with self.lock:
            self.uploads.clear()
            self.cache.clear()
            with suppress(Exception):  # a job still running as the app stops: it ends
                self.store.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


class UploadGone(OacInsightError):
    """An upload token the app does not hold (expired or never made)."""


def too_large_message(limit: int) -> str:
    """The one-line refusal of an upload over ``limit`` bytes."""
    return (
        f"the file is larger than the upload limit of {limit / 1_000_000:,.0f} MB "
        "(start the app with a larger --max-upload-mb)"
    )


def safe_file_name(name: str, suffix: str) -> str:
    """The user's file name made safe to save (so messages name it), with ``suffix``."""
    stem = (
        Path(name.replace("\\", "/")).name[: -len(suffix) or None]
        if name.lower().endswith(suffix)
        else Path(name.replace("\\", "/")).name
    )
    stem = "".join(ch if ch.isalnum() or ch in " -_.()" else "_" for ch in stem).strip(" .")
    return f"{stem[:100] or 'upload'}{suffix}"

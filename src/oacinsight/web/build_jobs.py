"""Local classification builds run in the background for the build page.

A build takes from seconds (a district) to minutes (a region), so the page starts it
on a thread of its own and shows its progress lines until it is done.  One build runs
at a time (k-means keeps the cores busy); the last few finished builds are kept, each
in a folder of the app's private temporary folder, deleted when the app stops.
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oacinsight.build import BuildResult, Spec, build_classification, load_spec
from oacinsight.build.spec import parse_tiers
from oacinsight.errors import InputFileError, OacInsightError, one_line
from oacinsight.web.state import UploadGone, WebState

__all__ = ["BUILD_FILES", "BuildJob", "get_job", "jobs", "start_build"]

#: Files of a build folder the page serves (what ``oacinsight build -o`` writes).
BUILD_FILES = {
    "assignments.csv": "text/csv",
    "assignments.parquet": "application/vnd.apache.parquet",
    "centres.csv": "text/csv",
    "scaling.csv": "text/csv",
    "provenance.json": "application/json",
    "diagnostics.csv": "text/csv",
    "clustergram.csv": "text/csv",
    "grand_index.csv": "text/csv",
    "names.csv": "text/csv",
    "comparison.json": "application/json",
    "k_diagnostics.png": "image/png",
    "clustergram.png": "image/png",
    "sizes.png": "image/png",
    "index.png": "image/png",
    "map.png": "image/png",
    "report.html": "text/html; charset=utf-8",
}
KEEP_BUILDS = 3
MAX_SPEC_BYTES = 200_000
_KEY = "builds"


@dataclass
class BuildJob:
    """One build: its options, progress lines, and the result when done."""

    token: str
    spec_name: str
    area: str | None
    n_oas: int | None
    folder: Path
    status: str = "running"  # running, done, failed
    lines: list[str] = field(default_factory=list)
    error: str = ""
    started: float = field(default_factory=time.time)
    seconds: float = 0.0
    result: BuildResult | None = None
    thread: threading.Thread | None = None

    def say(self, line: str) -> None:
        """A progress line (the last 200 are kept)."""
        self.lines.append(line.strip())
        del self.lines[:-200]

    @property
    def elapsed(self) -> float:
        return self.seconds if self.status != "running" else time.time() - self.started


def jobs(state: WebState) -> dict[str, BuildJob]:
    """This app's builds, newest last."""
    with state.lock:
        found: dict[str, BuildJob] = state.cache.setdefault(_KEY, {})
    return found


def get_job(state: WebState, token: str) -> BuildJob:
    job = jobs(state).get(token)
    if job is None:
        raise BuildGone("no such build (the app keeps its last few builds): start it again")
    return job


class BuildGone(UploadGone):
    """A build token the app does not hold."""


def read_spec(name: str, upload: bytes | None, upload_name: str, tmp: Path) -> Spec:
    """A shipped spec by name, or an uploaded YAML file (checked before the job)."""
    if upload:
        if len(upload) > MAX_SPEC_BYTES:
            raise InputFileError(f"{upload_name}: a spec file is at most 200 kB")
        if Path(upload_name).suffix.lower() not in (".yaml", ".yml"):
            raise InputFileError(f"{upload_name}: upload the spec as a .yaml file")
        path = tmp / f"spec-{secrets.token_hex(6)}.yaml"
        path.write_bytes(upload)
        try:
            return _named(load_spec, path, upload_name)
        finally:
            path.unlink(missing_ok=True)
    return load_spec(name)


def _named(load: Any, path: Path, name: str) -> Spec:
    try:
        return load(path)
    except OacInsightError as exc:
        exc.args = (str(exc).replace(str(path), name),)
        raise


def start_build(
    state: WebState,
    spec: Spec,
    *,
    area: str | None,
    oas: list[str] | None,
    k: str | None,
    seed: int | None,
    restarts: int | None,
) -> BuildJob:
    """Check the options, then run the build on a thread; returns its job at once."""
    if k:
        parse_tiers(k)  # a bad --k is refused now, not on the job page
    running = [j for j in jobs(state).values() if j.status == "running"]
    if running:
        raise InputFileError(
            f"a build is running already ({running[0].spec_name}); wait for it to finish"
        )
    token = secrets.token_urlsafe(12)
    job = BuildJob(token, spec.name, area, len(oas) if oas else None, state.tmp / f"build-{token}")
    with state.lock:
        builds = state.cache.setdefault(_KEY, {})
        builds[token] = job
        while len(builds) > KEEP_BUILDS:
            old = builds.pop(next(iter(builds)))
            shutil.rmtree(old.folder, ignore_errors=True)
    options = {"area": area, "oas": oas, "k": k or None, "seed": seed, "restarts": restarts}
    job.thread = threading.Thread(target=_run, args=(state, job, spec, options), daemon=True)
    job.thread.start()
    return job


def _run(state: WebState, job: BuildJob, spec: Spec, options: dict[str, Any]) -> None:
    """The build itself (on its own thread): every error ends as one line on the page."""
    try:
        with state.job() as store:
            result = build_classification(spec, store, progress=job.say, **options)
        result.write(job.folder)
        job.result = result
        job.status = "done"
        job.say("done")
    except OacInsightError as exc:
        job.error, job.status = one_line(exc), "failed"
    except Exception as exc:  # an unexpected fault: said, never a traceback on the page
        job.error = one_line(f"the build stopped: {type(exc).__name__}: {exc}")
        job.status = "failed"
    finally:
        job.seconds = time.time() - job.started

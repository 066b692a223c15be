"""Batch mode: a profile for every ward of a district in one run, with an index page."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment

from oacinsight.areas.codes import AreaRequest, parse_request
from oacinsight.areas.comparators import majority_of
from oacinsight.areas.context import AreaContext
from oacinsight.areas.indicators import Indicator
from oacinsight.areas.profile import MostlyMissingError, build_profile
from oacinsight.areas.result import AreaProfile
from oacinsight.errors import OacInsightError
from oacinsight.progress import Progress, Step
from oacinsight.results import write_by_suffix, write_json
from oacinsight.store import Store, open_store
from oacinsight.tabular import neutralise, write_workbook
from oacinsight.values import json_records, json_safe

__all__ = ["INDEX_COLUMNS", "BatchResult", "profile_wards"]

INDEX_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "kind",
    "residents",
    "households",
    "largest_supergroup",
    "largest_supergroup_pct",
    "most_deprived_20_pct",
    "folder",
)


@dataclass
class BatchResult:
    """What a batch wrote: the district's profile, one per ward, and the index."""

    out_dir: Path
    district: AreaProfile
    wards: list[AreaProfile] = field(default_factory=list)
    index_csv: Path | None = None
    index_html: Path | None = None
    #: Wards not profiled because the store holds less than half of them, with the reason.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The index: one row per profile (the district first)."""
        return pd.DataFrame(
            [_index_row(p) for p in [self.district, *self.wards]], columns=list(INDEX_COLUMNS)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the district's key facts, the index rows and the wards skipped."""
        frame = self.to_frame()
        return json_safe(
            {
                "district": self.district.to_dict(),
                "out_dir": self.out_dir,
                "columns": list(frame.columns),
                "rows": json_records(frame),
                "skipped": [{"code": c, "reason": r} for c, r in self.skipped],
            }
        )

    def text(self) -> str:
        """What the command line prints: coverage, how many wards, which were skipped."""
        return "\n".join(
            [
                *self.district.coverage,
                f"{self.district.title}: {len(self.wards)} ward profiles",
                *(f"not profiled: {reason}" for _code, reason in self.skipped),
            ]
        )

    def write(self, path: str | Path) -> Path:
        """Write the index; the format follows the suffix (``.csv``, ``.html``,
        ``.json``, ``.xlsx``) and the path is returned.  The profiles themselves are
        written by :func:`profile_wards`, one folder each."""
        return write_by_suffix(
            "a batch index",
            path,
            {
                ".csv": self._write_csv,
                ".html": lambda out: out.write_text(self._index_html(), encoding="utf-8"),
                ".json": lambda out: write_json(out, self.to_dict()),
                ".xlsx": lambda out: write_workbook(out, {"index": self.to_frame()}),
            },
        )

    def _write_csv(self, out: Path) -> None:
        self.to_frame().map(neutralise).to_csv(out, index=False, encoding="utf-8")

    def _index_html(self) -> str:
        env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
        return env.from_string(_INDEX).render(
            district=self.district,
            rows=self.to_frame().to_dict(orient="records"),
            skipped=self.skipped,
            fmt=lambda v, d=0: "–" if v is None or pd.isna(v) else f"{v:,.{d}f}",
        )


def _index_row(p: AreaProfile) -> tuple[object, ...]:
    top = (
        p.oac_mix[p.oac_mix["level"] == "supergroup"]
        .sort_values(["residents", "code"], ascending=[False, True])
        .iloc[0]
    )
    return (
        p.code,
        p.name,
        p.kind_label,
        p.residents,
        p.households,
        f"{top['code']} {top['name']}",
        float(top["pct"]),
        p.deprivation_summary.get("pct_deciles_1_2"),
        p.code,
    )


def profile_wards(
    district: str,
    out_dir: str | os.PathLike[str],
    *,
    store: Store | str | os.PathLike[str] | None = None,
    comparators: int = 5,
    within: str | None = None,
    indicators: Sequence[str | Indicator] | None = None,
    compare_by: str = "both",
    pdf: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> BatchResult:
    """Profile a local authority and every ward in it; write each to its own folder.

    Parameters
    ----------
    district : str
        Local authority code (E06-E09, W06).
    out_dir : path
        Folder for ``index.html``, ``index.csv`` and one sub-folder per area code.
    store, comparators, within, indicators, compare_by
        As for :func:`oacinsight.areas.profile_area`.
    pdf : bool, default True
        Write ``profile.pdf`` for every area.
    jobs : int, optional
        Processes writing the files (charts, PDF, XLSX) while the profiles are computed;
        default: the number of CPUs, at most 4.  1 writes in this process.
    progress : callable, optional
        Called with :class:`oacinsight.progress.Step` values: wards done of all.

    Returns
    -------
    BatchResult

    Raises
    ------
    OacInsightError
        When ``district`` is not a local authority code known to the store.
    """
    request = parse_request(district)
    if request.kind != "lad":
        raise OacInsightError(
            f"--batch needs a local authority code (E06-E09, W06), not {request.code}"
        )
    with open_store(store) as s:
        options = {"comparators": comparators, "within": within, "compare_by": compare_by}
        result = _run(
            AreaContext(s, indicators), request, Path(out_dir), options, pdf, jobs, progress
        )
        _write_index(result)
        return result


def _run(
    ctx: AreaContext,
    request: AreaRequest,
    out: Path,
    options: dict[str, Any],
    pdf: bool,
    jobs: int | None,
    progress: Progress | None,
) -> BatchResult:
    """Profile the district and its wards; files are written as profiles are made."""
    lad = build_profile(ctx, request, **options)
    result = BatchResult(out, lad)
    homes = majority_of(ctx.frame, "ward", "lad")
    wards = sorted(homes.index[homes == request.code])
    with _writer(jobs) as submit:
        submit(lad, out / lad.code, pdf)
        task = f"ward profiles of {request.code}"
        for i, ward in enumerate(wards):
            if progress is not None:
                progress(Step(task, i, len(wards), "wards"))
            try:
                profile = build_profile(ctx, AreaRequest("ward", ward), **options)
            except MostlyMissingError as exc:
                result.skipped.append((ward, str(exc)))
                continue
            submit(profile, out / ward, pdf)
            result.wards.append(profile)
        if progress is not None:
            progress(Step(task, len(wards), len(wards), "wards"))
    return result


def _write_one(profile: AreaProfile, folder: Path, pdf: bool) -> None:
    """Write one profile's files (run in a worker process)."""
    profile.write_folder(folder, pdf=pdf)


@contextmanager
def _writer(jobs: int | None) -> Iterator[Callable[[AreaProfile, Path, bool], None]]:
    """A function that writes a profile's files, in worker processes when ``jobs`` > 1;
    on leaving, every write has finished (a failed one raises here)."""
    n = min(os.cpu_count() or 1, 4) if jobs is None else int(jobs)
    if n < 1:
        raise OacInsightError(f"jobs must be 1 or more, got {jobs}")
    if n == 1:
        yield _write_one
        return
    context = multiprocessing.get_context("spawn")  # safe beside DuckDB's threads
    with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
        futures: list[Future[None]] = []
        yield lambda p, folder, pdf: futures.append(pool.submit(_write_one, p, folder, pdf))
        for future in futures:
            future.result()


def _write_index(result: BatchResult) -> None:
    result.index_csv = result.write(result.out_dir / "index.csv")
    result.index_html = result.write(result.out_dir / "index.html")


_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Ward profiles: {{ district.title }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; }
td.t, th.t { text-align: left; }
</style></head><body>
<h1>Ward profiles: {{ district.title }}</h1>
{% for line in district.coverage %}<p><strong>{{ line }}</strong></p>
{% endfor %}
<p>{{ rows|length - 1 }} wards. Output areas: {{ district.membership }}.</p>
<table><thead><tr><th class="t">area</th><th class="t">kind</th><th>residents</th>
<th>households</th><th class="t">largest OAC supergroup</th><th>% of residents</th>
<th>% in most deprived 20% of LSOAs</th><th class="t">profile</th></tr></thead><tbody>
{% for r in rows %}<tr><td class="t">{{ r.name }}{% if r.name != r.code %} ({{ r.code }})
{% endif %}</td><td class="t">{{ r.kind }}</td><td>{{ fmt(r.residents) }}</td>
<td>{{ fmt(r.households) }}</td><td class="t">{{ r.largest_supergroup }}</td>
<td>{{ fmt(r.largest_supergroup_pct) }}</td><td>{{ fmt(r.most_deprived_20_pct) }}</td>
<td class="t"><a href="{{ r.folder }}/profile.pdf">PDF</a> ·
<a href="{{ r.folder }}/profile.html">HTML</a></td></tr>
{% endfor %}</tbody></table>
{% if skipped %}<h2>Wards not profiled</h2><ul>
{% for code, reason in skipped %}<li>{{ reason }}</li>{% endfor %}</ul>{% endif %}
<p><small>{{ district.disclosure }}</small></p>
</body></html>
"""

"""Make a national-size postcode directory from the 18 shared NSPL areas.

The shared data holds the NSPL (November 2021) for 18 postcode areas, 105,690
postcodes.  The whole UK has about 2.7 million.  This script writes the 18 areas
unchanged plus ``--copies`` copies of them in which each area gets a new, unused
two-letter postcode area (``WN1 1AA`` → ``AB1 1AA`` in one copy, ``AD1 1AA`` in the
next...).  Only the area letters of ``pcd``, ``pcd2`` and ``pcds`` change; every other
column (output area, ward, IMD, coordinates...) is kept byte for byte, so the copies
match to the same output areas as the originals.  Every postcode is unique and follows
the postcode grammar (new areas use letters the grammar allows in that position).

    python benchmarks/make_national_directory.py /tmp/national            # 26 x 105,690
    python benchmarks/make_national_directory.py /tmp/national --copies 17 --multi

Default: one file ``NSPL_NOV_2021_UK.csv`` (the single-file layout of the official
download, which ``data ingest`` prefers).  ``--multi`` writes one file per postcode area
(``NSPL_NOV_2021_UK_XX.csv``, the official multi-CSV layout).  Never commit the output:
write it outside the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import string
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "data" / "postcodes"
#: Letters the postcode grammar allows first and second in a two-letter area.
FIRST = "".join(c for c in string.ascii_uppercase if c not in "QVX")
SECOND = "".join(c for c in string.ascii_uppercase if c not in "IJZ")
_AREA = re.compile(r"_([A-Z]{1,2})\.csv$")


def new_areas(originals: list[str], copies: int) -> list[dict[str, str]]:
    """For each copy, original area → its new, unused two-letter area."""
    free = [a + b for a in FIRST for b in SECOND if a + b not in originals]
    if copies * len(originals) > len(free):
        raise SystemExit(
            f"at most {len(free) // len(originals)} copies of "
            f"{len(originals)} areas fit the postcode grammar"
        )
    it = iter(free)
    return [{area: next(it) for area in originals} for _ in range(copies)]


def renamed(line: bytes, old: bytes, new: bytes) -> bytes:
    """The row with its first three fields (pcd, pcd2, pcds) moved to area ``new``."""
    parts = line.split(b",", 3)
    cut = 1 + len(old)
    for i in range(3):
        if parts[i][1:cut] != old:
            raise ValueError(f"unexpected postcode field {parts[i]!r} in area {old!r}")
        parts[i] = b'"' + new + parts[i][cut:]
    return b",".join(parts)


def source_files(source: Path) -> list[tuple[str, Path]]:
    files = sorted(source.glob("NSPL_*_UK_*.csv"))
    out = []
    for f in files:
        m = _AREA.search(f.name)
        if m is None or len(m.group(1)) != 2:
            raise SystemExit(f"{f.name}: expected a two-letter postcode area in the name")
        out.append((m.group(1), f))
    if not out:
        raise SystemExit(f"no NSPL_*_UK_XX.csv files in {source}")
    return out


def rows(path: Path, old: str, new: str) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        next(fh)  # header
        if old == new:
            yield from fh
        else:
            o, n = old.encode(), new.encode()
            for line in fh:
                yield renamed(line, o, n)


def make(out: Path, copies: int, multi: bool, source: Path = SOURCE) -> int:
    """Write the directory to ``out`` (a folder); returns the number of postcodes."""
    files = source_files(source)
    header = files[0][1].open("rb").readline()
    plan = [{a: a for a, _ in files}, *new_areas([a for a, _ in files], copies)]
    out.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"_[A-Z]{1,2}\.csv$", "", files[0][1].name)  # NSPL_NOV_2021_UK
    n = 0
    with contextlib.ExitStack() as stack:
        single = None if multi else stack.enter_context(open(out / f"{prefix}.csv", "wb"))
        if single:
            single.write(header)
        for mapping in plan:
            for area, path in files:
                with contextlib.ExitStack() as own:
                    dst = single or own.enter_context(
                        open(out / f"{prefix}_{mapping[area]}.csv", "wb")
                    )
                    if not single:
                        dst.write(header)
                    for line in rows(path, area, mapping[area]):
                        dst.write(line)
                        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder to write (outside the repository)")
    ap.add_argument(
        "--copies",
        type=int,
        default=25,
        help="copies with new areas besides the originals (25: 2,747,940 rows)",
    )
    ap.add_argument("--multi", action="store_true", help="one file per postcode area")
    ap.add_argument("--source", type=Path, default=SOURCE)
    args = ap.parse_args()
    if args.out.resolve().is_relative_to(REPO):
        raise SystemExit("write the directory outside the repository")
    n = make(args.out, args.copies, args.multi, args.source)
    print(f"{n:,} postcodes written to {args.out}")


if __name__ == "__main__":
    main()

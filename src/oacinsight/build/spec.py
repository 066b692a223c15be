"""Classification specs: which census cells make each variable, how they are
transformed and standardised, and how many clusters each tier has.

A spec is a YAML file (or the name of a shipped one: ``oac2021``, ``compact``)::

    name: my-spec
    transform: ihs            # ihs (default), log1p or none
    standardise: range        # range (default) or zscore
    scale: 100                # rates in per cent (default 100)
    tiers: [8, [3, 3, 2, 3, 2, 3, 3, 2], 3]   # k per tier, or per parent
    restarts: [100, 30, 20]   # per tier (or one number for all)
    seed: 2021
    variables:
      - name: v01
        label: Lives in a communal establishment
        numerator: [ts0010003]       # summed
        denominator: ts0010001       # a cell, or "total" (the table's first cell)
      - name: v12
        value: ts0060001             # a density or ratio, taken as is
      - name: v13
        numerator: [ts007a0002]
        denominator: total
        optional: true               # skipped (with a warning) when its table is absent

See docs/build.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from difflib import get_close_matches
from importlib import resources
from pathlib import Path
from typing import Any

from oacinsight.errors import OacInsightError

__all__ = ["SHIPPED", "BuildSpecError", "Spec", "Variable", "load_spec", "parse_tiers"]

SHIPPED = ("oac2021", "compact")
TRANSFORMS = ("ihs", "log1p", "none")
STANDARDISERS = ("range", "zscore")
_CELL = re.compile(r"^ts\d{3}[a-z]?\d{4}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,40}$")
_KEYS = {
    "name",
    "description",
    "transform",
    "standardise",
    "scale",
    "tiers",
    "restarts",
    "seed",
    "variables",
}
_VAR_KEYS = {"name", "label", "numerator", "denominator", "value", "optional", "note"}


class BuildSpecError(OacInsightError):
    """A classification spec or build request that cannot be used."""


@dataclass(frozen=True)
class Variable:
    """One clustering variable: ``sum(numerator) / denominator × scale`` or a value."""

    name: str
    label: str
    numerator: tuple[str, ...] = ()
    denominator: str | None = None
    value: str | None = None
    optional: bool = False
    note: str = ""

    @property
    def cells(self) -> tuple[str, ...]:
        if self.value is not None:
            return (self.value,)
        return (*self.numerator, str(self.denominator))

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(sorted({table_of(c) for c in self.cells}))


Tiers = tuple[int | tuple[int, ...], ...]


@dataclass(frozen=True)
class Spec:
    """A validated classification spec."""

    name: str
    variables: tuple[Variable, ...]
    description: str = ""
    transform: str = "ihs"
    standardise: str = "range"
    scale: float = 100.0
    tiers: Tiers = (8,)
    restarts: tuple[int, ...] = (100,)
    seed: int = 2021
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def with_overrides(
        self, *, tiers: Tiers | None = None, seed: int | None = None, restarts: int | None = None
    ) -> Spec:
        """The same spec with tiers, seed or restarts (all tiers) replaced (checked)."""
        if restarts is not None and restarts < 1:
            raise BuildSpecError(f"restarts must be at least 1, not {restarts}")
        out = replace(
            self,
            tiers=tiers if tiers is not None else self.tiers,
            seed=seed if seed is not None else self.seed,
            restarts=(restarts,) if restarts is not None else self.restarts,
        )
        _check_tiers(out.tiers)
        return out

    def restarts_for(self, tier: int) -> int:
        """Restarts for tier 0, 1, 2 (the last value given carries on)."""
        return self.restarts[min(tier, len(self.restarts) - 1)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "transform": self.transform,
            "standardise": self.standardise,
            "scale": self.scale,
            "tiers": [list(t) if isinstance(t, tuple) else t for t in self.tiers],
            "restarts": list(self.restarts),
            "seed": self.seed,
            "variables": [_var_dict(v) for v in self.variables],
        }


def _var_dict(v: Variable) -> dict[str, Any]:
    out: dict[str, Any] = {"name": v.name, "label": v.label}
    if v.value is not None:
        out["value"] = v.value
    else:
        out["numerator"] = list(v.numerator)
        out["denominator"] = v.denominator
    if v.optional:
        out["optional"] = True
    if v.note:
        out["note"] = v.note
    return out


def table_of(cell: str) -> str:
    """``ts0540007`` → ``ts054``; ``ts007a0002`` → ``ts007a``."""
    return cell[:-4]


def load_spec(spec: str | Path) -> Spec:
    """Read and validate a spec: a YAML file path or the name of a shipped spec."""
    import yaml

    text, source = _spec_text(spec)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise BuildSpecError(f"spec {source} is not valid YAML: {first}") from None
    return parse_spec(data, source=source)


def _spec_text(spec: str | Path) -> tuple[str, str]:
    name = str(spec)
    if name in SHIPPED:
        ref = resources.files("oacinsight.build").joinpath("specs", f"{name}.yaml")
        return ref.read_text(encoding="utf-8"), f"shipped:{name}"
    path = Path(spec)
    if not path.is_file():
        raise BuildSpecError(f"no spec file {path} (shipped specs: {', '.join(SHIPPED)})")
    try:
        return path.read_text(encoding="utf-8"), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildSpecError(f"cannot read spec {path}: {exc}") from None


def parse_spec(data: Any, *, source: str = "") -> Spec:
    """Validate a spec already read into Python objects (a mapping)."""
    if not isinstance(data, dict):
        raise BuildSpecError(f"spec {source} must be a mapping with 'variables'")
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        raise BuildSpecError(
            f"spec {source}: unknown key(s) {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(_KEYS))})"
        )
    transform = str(data.get("transform", "ihs")).lower()
    if transform not in TRANSFORMS:
        raise BuildSpecError(
            f"spec {source}: transform must be one of {', '.join(TRANSFORMS)}, not {transform!r}"
        )
    standardise = str(data.get("standardise", "range")).lower()
    if standardise not in STANDARDISERS:
        raise BuildSpecError(
            f"spec {source}: standardise must be one of "
            f"{', '.join(STANDARDISERS)}, not {standardise!r}"
        )
    raw_vars = data.get("variables")
    if not isinstance(raw_vars, list) or not raw_vars:
        raise BuildSpecError(f"spec {source}: 'variables' must be a non-empty list")
    variables = tuple(_parse_var(v, i, source) for i, v in enumerate(raw_vars, start=1))
    names = [v.name for v in variables]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise BuildSpecError(f"spec {source}: variable name(s) used twice: {', '.join(dupes)}")
    tiers = parse_tiers(data.get("tiers", [8]))
    return Spec(
        name=str(data.get("name") or Path(source).stem or "spec"),
        variables=variables,
        description=str(data.get("description") or ""),
        transform=transform,
        standardise=standardise,
        scale=_number(data.get("scale", 100), "scale", source),
        tiers=tiers,
        restarts=_restarts(data.get("restarts", 100), source),
        seed=_int(data.get("seed", 2021), "seed", source, 0),
        source=source,
        raw=data,
    )


def _parse_var(item: Any, i: int, source: str) -> Variable:
    where = f"spec {source}, variable {i}"
    if not isinstance(item, dict):
        raise BuildSpecError(f"{where}: must be a mapping with 'name' and cells")
    unknown = sorted(set(map(str, item)) - _VAR_KEYS)
    if unknown:
        raise BuildSpecError(f"{where}: unknown key(s) {', '.join(unknown)}")
    name = str(item.get("name", ""))
    if not _NAME.match(name):
        raise BuildSpecError(f"{where}: name {name!r} must be a letter then letters, digits or _")
    where = f"spec {source}, variable {name}"
    has_value, has_num = "value" in item, "numerator" in item
    if has_value == has_num:
        raise BuildSpecError(f"{where}: give either 'value' or 'numerator' (+ 'denominator')")
    common = Variable(
        name=name,
        label=str(item.get("label") or name),
        optional=bool(item.get("optional", False)),
        note=str(item.get("note") or ""),
    )
    if has_value:
        if "denominator" in item:
            raise BuildSpecError(f"{where}: a 'value' takes no 'denominator'")
        return replace(common, value=_cell(item["value"], where))
    num = item["numerator"]
    num = [num] if isinstance(num, str) else num
    if not isinstance(num, list) or not num:
        raise BuildSpecError(f"{where}: 'numerator' must be a cell or a list of cells")
    cells = tuple(_cell(c, where) for c in num)
    den = str(item.get("denominator", "total")).strip().lower()
    den = f"{table_of(cells[0])}0001" if den == "total" else _cell(den, where)
    return replace(common, numerator=cells, denominator=den)


def _cell(value: Any, where: str) -> str:
    cell = str(value).strip().lower()
    if not _CELL.match(cell):
        raise BuildSpecError(f"{where}: {value!r} is not a census cell name like ts0540007")
    return cell


def parse_tiers(value: Any) -> Tiers:
    """``[8, [3, 3, 2], 3]`` or ``"8,3"`` → a tuple of k per tier (int or per parent)."""
    if isinstance(value, str):
        try:
            value = [int(x) for x in value.split(",") if x.strip()]
        except ValueError:
            raise BuildSpecError(
                f"--k must be whole numbers separated by commas, not {value!r}"
            ) from None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise BuildSpecError("tiers must be a list such as [8, 3, 3]")
    out: list[int | tuple[int, ...]] = []
    for t in value:
        if isinstance(t, list | tuple):
            out.append(tuple(_k(x) for x in t))
        else:
            out.append(_k(t))
    tiers = tuple(out)
    _check_tiers(tiers)
    return tiers


def _k(x: Any) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 1:
        raise BuildSpecError(f"k must be a whole number of at least 1, not {x!r}")
    return x


def _check_tiers(tiers: Tiers) -> None:
    if len(tiers) > 3:
        raise BuildSpecError(f"at most three tiers (supergroup, group, subgroup), not {len(tiers)}")
    if isinstance(tiers[0], tuple):
        raise BuildSpecError("the first tier needs a single k (it has no parents)")
    if tiers[0] < 2:
        raise BuildSpecError(f"the first tier needs k of at least 2, not {tiers[0]}")
    parents = tiers[0]
    for i, t in enumerate(tiers[1:], start=2):
        if isinstance(t, tuple):
            if len(t) != parents:
                raise BuildSpecError(
                    f"tier {i} lists {len(t)} k values but tier {i - 1} has {parents} clusters"
                )
            parents = sum(t)
        else:
            parents *= t
    if any(k > 26 for t in tiers[1:2] for k in (t if isinstance(t, tuple) else (t,))):
        raise BuildSpecError("a group tier has at most 26 clusters per parent (codes a-z)")


def _number(value: Any, key: str, source: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise BuildSpecError(f"spec {source}: {key} must be a number, not {value!r}") from None
    if out <= 0:
        raise BuildSpecError(f"spec {source}: {key} must be positive")
    return out


def _restarts(value: Any, source: str) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > 3:
        raise BuildSpecError(f"spec {source}: restarts must be a number or one per tier")
    return tuple(_int(v, "restarts", source, 1) for v in values)


def _int(value: Any, key: str, source: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise BuildSpecError(f"spec {source}: {key} must be a whole number >= {low}, not {value!r}")
    return value


def check_cells(spec: Spec, available: dict[str, list[str]]) -> tuple[Spec, list[str]]:
    """Drop optional variables whose tables are absent; fail on any other missing cell.

    Returns the spec with only usable variables and warnings for what was dropped.
    """
    have = {c for cells in available.values() for c in cells}
    keep, warnings = [], []
    for v in spec.variables:
        missing_tables = [t for t in v.tables if t not in available]
        if missing_tables and v.optional:
            warnings.append(
                f"{v.name} ({v.label}) skipped: table {', '.join(missing_tables)} not in the store"
            )
            continue
        for cell in v.cells:
            if cell not in have:
                raise BuildSpecError(_missing_cell(v, cell, available, have))
        keep.append(v)
    if not keep:
        raise BuildSpecError(
            f"spec {spec.name}: no variable can be built from the store's "
            "census tables (ingest them with 'oacinsight data ingest')"
        )
    return replace(spec, variables=tuple(keep)), warnings


def _missing_cell(v: Variable, cell: str, available: dict[str, list[str]], have: set[str]) -> str:
    table = table_of(cell)
    if table not in available:
        return (
            f"variable {v.name}: census table {table} (cell {cell}) is not in the store; "
            f"ingest it, or mark the variable 'optional: true' "
            f"(tables held: {', '.join(sorted(available)) or 'none'})"
        )
    cells = available[table]
    close = get_close_matches(cell, cells, n=3, cutoff=0.8)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"variable {v.name}: census cell {cell} does not exist{hint} "
        f"(table {table} has {cells[0]} to {cells[-1]})"
    )

"""The package's import graph: no cycles, and the core never imports the shells.

The graph is read from the source with :mod:`ast`, not by importing it.  An edge
``a -> b`` means module ``a`` imports module ``b``: ``import b``, ``from b import x``
(or ``from pkg import b`` where ``b`` is a submodule).  Importing a submodule also runs
its parent package's ``__init__``; those implicit parent edges are *not* counted (a
package that re-exports its submodules would otherwise always be "in a cycle").

Function-level (lazy) imports **count**: a lazy import defers a cycle, it does not
remove it, and the cycles this test exists for (``cli.app`` <-> ``cli.serve``) were
hidden that way.  Imports under ``if TYPE_CHECKING:`` do not count: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PKG = "oacinsight"
SHELLS = ("oacinsight.cli", "oacinsight.web")
#: ``python -m oacinsight`` runs the command line: it belongs to the shells.
SHELL_MODULES = ("oacinsight.__main__",)
#: Deprecated aliases that re-export a module from its new room (delete with their last
#: caller); left out of the room check only, since they point across rooms by design.
ALIASES = (
    "oacinsight.maps.load",
    "oacinsight.maps.demo",
    "oacinsight.web.pdf",
    "oacinsight.store.cursor",
)


def _modname(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_modname(p): p for p in sorted((SRC / PKG).rglob("*.py"))}


def _targets(node: ast.AST, here: str, is_pkg: bool, mods: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in mods]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = here.split(".") if is_pkg else here.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        src = ".".join(base + ([node.module] if node.module else []))
    else:
        src = node.module or ""
    out = []
    for alias in node.names:
        sub = f"{src}.{alias.name}"
        if sub in mods:
            out.append(sub)
        elif src in mods:
            out.append(src)
    return out


def _walk(node: ast.AST):
    """Every node, skipping ``if TYPE_CHECKING:`` bodies (their else branch counts)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for other in child.orelse:
                yield other
                yield from _walk(other)
            continue
        yield child
        yield from _walk(child)


def import_graph() -> dict[str, set[str]]:
    """``{module: modules it imports}`` for every module of the package."""
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_pkg = path.name == "__init__.py"
        for node in _walk(tree):
            graph[mod].update(t for t in _targets(node, mod, is_pkg, mods) if t != mod)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_known_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_graph_sees_lazy_and_relative_imports():
    graph = import_graph()
    assert len(graph) > 100
    # cli/__init__ registers its submodules: plain edges, read from the source
    assert "oacinsight.cli.app" in graph["oacinsight.cli"]
    # match.py imports the store lazily inside functions; those edges are counted
    assert "oacinsight.store" in graph["oacinsight.match"] or any(
        t.startswith("oacinsight.store.") for t in graph["oacinsight.match"]
    )


def test_no_import_cycles():
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _room(module: str) -> str:
    """The subpackage (or top-level module) a module lives in: ``oacinsight.store``."""
    return ".".join(module.split(".")[:2])


@pytest.mark.parametrize("shell", SHELLS)
def test_core_never_imports_the_shells(shell):
    graph = import_graph()
    core = [m for m in graph if not any(_in(m, s) for s in SHELLS) and m not in SHELL_MODULES]
    assert "oacinsight.match" in core and "oacinsight.reports.profile_pdf" in core
    bad = sorted(f"{m} -> {t}" for m in core for t in graph[m] if _in(t, shell))
    assert bad == []


#: Edges between subpackages that are allowed to close a loop, with the reason.  Each
#: must still exist (the test says when one can be dropped from this list).
ROOM_LOOPS = {
    # a result renders itself (``write("x.pdf")``) through reports/, lazily, in write()
    ("oacinsight.areas", "oacinsight.reports"): "AreaProfile.write renders the report",
    ("oacinsight.profile", "oacinsight.reports"): "ProfileResult.write renders the PDF",
    # the area mix reuses the profile statistics core (compute_profile)
    ("oacinsight.areas", "oacinsight.profile"): "areas.mix uses compute_profile",
}


def _rooms(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = {}
    for mod, targets in graph.items():
        if mod in ALIASES:
            continue
        rooms.setdefault(_room(mod), set()).update(
            _room(t) for t in targets if _room(t) != _room(mod)
        )
    return rooms


def test_no_cycles_between_rooms():
    """Collapsed to subpackages (store, ingest, maps, demo, ...), the graph has no cycle
    either, apart from the documented :data:`ROOM_LOOPS`: e.g. demo data lives in demo/,
    so maps/ never reaches back into demo/, and boundary ingest lives in ingest/."""
    rooms = _rooms(import_graph())
    stale = [edge for edge in ROOM_LOOPS if edge[1] not in rooms.get(edge[0], set())]
    assert stale == [], f"no longer needed in ROOM_LOOPS: {stale}"
    for a, b in ROOM_LOOPS:
        rooms[a].discard(b)
    found = cycles(rooms)
    assert found == [], "cycles between subpackages:\n" + "\n".join(" <-> ".join(c) for c in found)
    assert "oacinsight.demo" not in rooms["oacinsight.maps"]
    assert "oacinsight.ingest" not in rooms["oacinsight.maps"]


def test_version_comes_from_one_module():
    import tomllib

    import oacinsight
    from oacinsight._version import __version__

    pyproject = tomllib.loads((SRC.parent / "pyproject.toml").read_text(encoding="utf-8"))
    assert oacinsight.__version__ == __version__ == pyproject["project"]["version"]
    assert import_graph()["oacinsight._version"] == set()


def test_nothing_imports_the_package_root():
    """The root only re-exports (lazily); modules import what they use from where it
    lives, e.g. ``from oacinsight._version import __version__``."""
    graph = import_graph()
    assert sorted(m for m, ts in graph.items() if PKG in ts) == []


def test_all_sql_lives_in_the_store():
    """No module outside ``store/`` runs SQL itself (``.execute``, ``.sql``, ...): it
    calls a function of :mod:`oacinsight.store`."""
    calls = []
    for mod, path in _modules().items():
        if _in(mod, "oacinsight.store"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "sql")
            ):
                calls.append(f"{mod}:{node.lineno} .{node.func.attr}()")
    assert calls == []

"""Every import runs downhill: the code layers of README.md's "Code layers", checked on the source with ``ast``.

Each ``.py`` file of the four packages is parsed (nothing is imported) and every import is collected: top-level
ones, lazy ones inside functions and ``if TYPE_CHECKING`` blocks alike. Each module belongs to one unit (a
package or a module) and each unit to one layer of ``LAYERS``. A module may import its own unit, any unit of a
lower layer, and a unit of its own layer only where ``PEERS`` allows it; nothing may import upwards. Separately,
no two modules may import each other, directly or round a longer circle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("wit_pipeline", "crawlers", "filters", "loaders")

# Bottom layer first. "wit_pipeline" is the package's own __init__ (its __version__), nothing below it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("wit_pipeline", "wit_pipeline.errors")),
    ("storage", ("wit_pipeline.storage", "wit_pipeline.atomic_files")),  # fsspec reads; local files written atomically
    ("layout", ("wit_pipeline.layout",)),
    ("staging", ("wit_pipeline.staging",)),  # a URL output written locally, then uploaded
    ("settings", ("wit_pipeline.config",)),  # every setting's one definition, bounds and choices
    ("manifest", ("wit_pipeline.manifest",)),
    ("runtime", ("wit_pipeline.runtime",)),
    (
        "library",
        (
            "wit_pipeline.part_schema",
            "wit_pipeline.manifest_validation",
            "wit_pipeline.miniweb",
            "loaders",
        ),
    ),
    ("model", ("wit_pipeline.model",)),
    (
        "stages",
        (
            "crawlers",
            "filters",
            "wit_pipeline.download",
            "wit_pipeline.shards",
            "wit_pipeline.train",
            "wit_pipeline.eval",
            "wit_pipeline.embed",
            "wit_pipeline.search",
        ),
    ),
    (
        "tools",
        (
            "wit_pipeline.report",
            "wit_pipeline.verify",
            "wit_pipeline.inspect",
            "wit_pipeline.build_job",
            "wit_pipeline.demo",
        ),
    ),
    ("cli", ("wit_pipeline.cli",)),
)

# Imports between units of one layer: importer -> what it may use. Together these must stay a DAG.
PEERS: dict[str, frozenset[str]] = {
    "wit_pipeline.download": frozenset({"crawlers", "wit_pipeline.shards"}),  # safe fetching; post-download steps
    "wit_pipeline.shards": frozenset({"wit_pipeline.embed"}),  # the CLIP-score filter embeds the shards
    "wit_pipeline.embed": frozenset({"wit_pipeline.eval"}),  # eval's batched feature extraction
    "wit_pipeline.search": frozenset({"wit_pipeline.embed", "wit_pipeline.eval"}),  # the index; query features
    "wit_pipeline.train": frozenset({"wit_pipeline.eval"}),  # evaluation during training
    "wit_pipeline.demo": frozenset({"wit_pipeline.build_job", "wit_pipeline.report"}),
}

# Uphill imports other helpers of issue 22 are removing on their branches (importer module, imported module).
# The lead deletes each entry when that branch merges; an entry that no longer happens fails the test.
PENDING: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's target inside the four packages."""

    importer: str
    imported: str
    file: Path
    line: int
    statement: str

    def where(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}: {self.statement}"


def module_files() -> dict[str, Path]:
    """``{dotted module name: file}`` for every ``.py`` file of the packages (a package is its ``__init__``)."""
    found = {}
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            parts = list(file.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = file
    return found


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of our modules (``a.b.func`` -> ``a.b``), or None."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.AST, module: str, is_package: bool, modules: dict[str, Path]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if (found := _known(alias.name, modules)) is not None:
                yield found
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - node.level + 1]
            source = ".".join([*base, node.module] if node.module else base)
        else:
            source = node.module or ""
        submodules = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules]
        for name in submodules or [source]:
            if (found := _known(name, modules)) is not None:
                yield found


def collect_imports() -> list[Import]:
    """Every import between modules of the packages, wherever it sits in the file."""
    modules = module_files()
    imports = []
    for module, file in modules.items():
        source = file.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source, filename=str(file))):
            for target in _targets(node, module, file.name == "__init__.py", modules):
                if target != module:
                    statement = " ".join((ast.get_source_segment(source, node) or "").split())
                    imports.append(Import(module, target, file, node.lineno, statement))
    return imports


def unit_of(module: str) -> str | None:
    """The unit (package or module of ``LAYERS``) ``module`` belongs to; the root package only as itself."""
    units = [u for _, members in LAYERS for u in members]
    matches = [u for u in units if module == u or (u != "wit_pipeline" and module.startswith(u + "."))]
    return max(matches, key=len) if matches else None


LAYER_OF = {unit: n for n, (_, members) in enumerate(LAYERS) for unit in members}
LAYER_NAME = {unit: name for name, members in LAYERS for unit in members}


def allowed(importer: str, imported: str) -> bool:
    a, b = unit_of(importer), unit_of(imported)
    assert a is not None and b is not None
    if a == b or LAYER_OF[b] < LAYER_OF[a]:
        return True
    return LAYER_OF[b] == LAYER_OF[a] and b in PEERS.get(a, frozenset())


def circles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return collect_imports()


def test_every_module_has_a_layer() -> None:
    missing = sorted(m for m in module_files() if unit_of(m) is None)
    assert not missing, f"modules in no layer (add their package to LAYERS here and in README.md): {missing}"


def test_peers_stay_within_a_layer_and_form_no_circle() -> None:
    for importer, used in PEERS.items():
        for unit in used:
            assert LAYER_OF[unit] == LAYER_OF[importer], f"PEERS {importer} -> {unit}: not one layer"
    edges = {(a, b) for a, used in PEERS.items() for b in used}
    assert not circles(edges), f"PEERS must not go round in a circle: {circles(edges)}"


def test_imports_run_downhill(imports: list[Import]) -> None:
    uphill = [i for i in imports if not allowed(i.importer, i.imported) and (i.importer, i.imported) not in PENDING]
    lines = [
        f"{i.where()}  ({LAYER_NAME[unit_of(i.importer)]} {unit_of(i.importer)} -> "
        f"{LAYER_NAME[unit_of(i.imported)]} {unit_of(i.imported)})"
        for i in uphill
    ]
    assert not lines, "imports that run uphill (see README.md, Code layers):\n" + "\n".join(lines)


def test_pending_entries_still_happen(imports: list[Import]) -> None:
    happening = {(i.importer, i.imported) for i in imports if not allowed(i.importer, i.imported)}
    stale = sorted(PENDING - happening)
    assert not stale, f"PENDING entries that no longer happen (delete them from tests/test_layering.py): {stale}"


def test_no_import_circles(imports: list[Import]) -> None:
    edges = {(i.importer, i.imported) for i in imports if (i.importer, i.imported) not in PENDING}
    found = circles(edges)
    by_edge = {(i.importer, i.imported): i for i in imports}
    report = []
    for component in found:
        members = set(component)
        report.append(" <-> ".join(component))
        report += [f"    {i.where()}" for (a, b), i in sorted(by_edge.items()) if a in members and b in members]
    assert not found, "import circles:\n" + "\n".join(report)


def test_the_checker_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    """The collector reads imports inside functions and TYPE_CHECKING blocks, and relative ones."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from wit_pipeline.cli import main\n"
        "def f():\n    import wit_pipeline.train.trainer\n"
        "from . import errors\n"
    )
    modules = {"wit_pipeline": Path(), "wit_pipeline.errors": Path(), "wit_pipeline.cli.main": Path()}
    modules |= {"wit_pipeline.cli": Path(), "wit_pipeline.train": Path(), "wit_pipeline.storage": Path()}
    found = {t for node in ast.walk(ast.parse(source)) for t in _targets(node, "wit_pipeline.storage", False, modules)}
    assert found == {"wit_pipeline.cli.main", "wit_pipeline.train", "wit_pipeline.errors"}
    assert not allowed("wit_pipeline.storage", "wit_pipeline.cli.main")
    assert allowed("wit_pipeline.cli.main", "wit_pipeline.storage")
    assert circles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]

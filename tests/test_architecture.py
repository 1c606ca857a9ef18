"""The package's shape: its modules import one way (no cycle, not even through a function-level import)."""

import ast
from pathlib import Path

import pytest

import scalingml

PACKAGE = Path(scalingml.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports anywhere in it (top level or inside a function)."""
    name, found = module_name(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names}
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imported(path, set(paths)) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in sorted(graph[node]):
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_of_the_package_imports_itself_back():
    graph = import_graph()
    assert "scalingml.sandbox.runner" in graph and graph["scalingml.check"] >= {"scalingml.sandbox"}
    assert cycles(graph) == []


def test_the_sandbox_does_not_depend_on_grading():
    """One sandbox, two users: check and grading use it; it uses neither."""
    graph = import_graph()
    sandbox = [name for name in graph if name == "scalingml.sandbox" or name.startswith("scalingml.sandbox.")]
    assert len(sandbox) >= 6
    reached = {target for name in sandbox for target in graph[name]}
    assert not {t for t in reached if t.startswith(("scalingml.grading", "scalingml.check"))}


SPLIT_PACKAGES = ("scalingml.experiments.monitoring", "scalingml.experiments.privacy")


@pytest.mark.parametrize("package", SPLIT_PACKAGES)
def test_a_module_split_into_a_package_still_offers_every_public_name(package):
    """Lessons import ``monitoring`` and ``privacy`` whole: each name a part defines is re-exported by the package."""
    import ast
    import importlib
    import inspect
    import pkgutil

    root = importlib.import_module(package)
    for part in pkgutil.iter_modules(root.__path__):
        module = importlib.import_module(f"{package}.{part.name}")
        tree = ast.parse(inspect.getsource(module))
        defined = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
        defined |= {
            name.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            for name in (target.elts if isinstance(target, ast.Tuple) else [target])
            if isinstance(name, ast.Name)
        }
        missing = {key for key in defined if not key.startswith("_")} - set(root.__all__)
        assert not missing, f"add {sorted(missing)} to {package.replace('.', '/')}/__init__.py"
        assert all(getattr(root, key) is getattr(module, key) for key in defined if not key.startswith("_"))

"""The package's shape: no import cycles, no dispatch by name, matplotlib only when plotting."""

import ast
import pathlib
import subprocess
import sys

import isingbio

PACKAGE = pathlib.Path(isingbio.__file__).parent


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """Modules of the package that `path` imports at module level (not inside functions)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("isingbio"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)  # submodules
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("isingbio"))
    return found


def import_graph():
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_between_modules():
    graph = import_graph()
    # a package's __init__ imports its modules, and they import siblings through it: only
    # cycles among plain modules count
    plain = {k: {m for m in v if not (PACKAGE.parent / (m.replace(".", "/") + "/__init__.py")).exists()}
             for k, v in graph.items()}
    assert _cycles(plain) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_no_dispatch_by_name_or_docstring():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        assert "importlib" not in text, path
        assert "__doc__" not in text.replace('"""', ""), path


def test_import_does_not_load_matplotlib():
    code = "import sys, isingbio, isingbio.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_modules_have_one_concern_in_at_most_900_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 900}
    assert long == {}

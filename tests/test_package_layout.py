"""The package's layout: old import paths still work, only figures load matplotlib, no import cycles."""

import ast
import importlib
import pathlib
import subprocess
import sys

import pytest

import isingbio

PACKAGE = pathlib.Path(isingbio.__file__).parent

# modules kept for their old import paths -> the modules their names now live in
COMPAT = {
    "isingbio.generative": [
        "isingbio.sequences",
        "isingbio.sequence_sampling",
        "isingbio.scoring",
        "isingbio.sequence_statistics",
        "isingbio.plot",
    ],
    "isingbio.annealing": [
        "isingbio.annealed_importance",
        "isingbio.schedules",
        "isingbio.likelihood",
        "isingbio.plot",
    ],
    "isingbio.alignment": ["isingbio.alignment", "isingbio.alphabets", "isingbio.alignment_io"],
    "isingbio.evaluation": ["isingbio.evaluation", "isingbio.contacts", "isingbio.plot"],
}


def test_every_public_name_resolves():
    for name in isingbio.__all__:
        assert getattr(isingbio, name) is not None, name
    for old in COMPAT:  # the compatibility modules are attributes of the package, as before
        assert getattr(isingbio, old.split(".")[1]) is not None, old


@pytest.mark.parametrize("old", sorted(COMPAT))
def test_old_import_paths_give_the_same_objects(old):
    module = importlib.import_module(old)
    homes = [importlib.import_module(m) for m in COMPAT[old]]
    for name in module.__all__:
        obj = getattr(module, name)
        assert any(vars(home).get(name) is obj for home in homes), f"{old}.{name} has no home"


def test_import_isingbio_is_light():
    """`import isingbio` (and so `isingbio --version` and every command's start) loads neither
    scipy nor the kernels; the public names load on first use."""
    code = "import sys, isingbio; print(any(m.split('.')[0] == 'scipy' or '_kernels' in m for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "False"
    code = "import isingbio; print(isingbio.fit_plm.__module__, 'fit_plm' in dir(isingbio))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.split() == ["isingbio.plm", "True"]


def test_import_isingbio_does_not_load_matplotlib():
    code = (
        "import sys, isingbio, isingbio.generative, isingbio.annealing, isingbio.evaluation, isingbio.cli; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "False"


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(path):
    """isingbio modules imported when `path` is loaded (function bodies and TYPE_CHECKING left out)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()

    def visit(body):
        for node in body:
            if isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    visit(node.body)
                    visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if node.module is None:
                    found.update(f"{target}.{alias.name}" for alias in node.names)
                found.add(target)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)

    visit(ast.parse(path.read_text()).body)
    return found


def test_no_import_cycles_between_modules():
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {m: {d for d in _module_level_imports(p) if d in files and d != m} for m, p in files.items()}
    # importing any submodule runs the package's __init__ first: edges into packages are not cycles
    packages = {m for m, p in files.items() if p.name == "__init__.py"}
    cycles = []

    def walk(start, node, path):
        for dep in graph[node]:
            if dep in packages:
                continue
            if dep == start:
                cycles.append(" -> ".join(path + [start]))
            elif dep > start and dep not in path:
                walk(start, dep, path + [dep])

    for module in sorted(graph):
        walk(module, module, [module])
    assert not cycles, cycles


def test_only_the_plot_module_imports_matplotlib():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "matplotlib" for n in names) and path.name != "plot.py":
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders
    top_level = [
        node
        for node in ast.parse((PACKAGE / "plot.py").read_text()).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    assert not any("matplotlib" in ast.unparse(node) for node in top_level)  # imported inside functions


def test_no_dispatch_by_name_or_docstring():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if path != PACKAGE / "__init__.py":  # the package's lazy attributes (PEP 562) alone
            assert "importlib" not in text, path
        assert "__doc__" not in text.replace('"""', ""), path


def test_modules_stay_short():
    long = {
        str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 850
    }
    assert long == {}

"""Write the .pyi stubs of the compiled kernel modules from their embedded signatures.

    python tools/kernel_stubs.py          # rewrite isingbio/_kernels/*.pyi after a .pyx change
                                          # (then ruff format isingbio/_kernels)
    python tools/kernel_stubs.py --check  # exit 1 if a stub is out of date (tests run this)

Cython embeds each def function's C signature in its docstring (embedsignature=True); C
types become Python ones (memoryviews: NDArray, double: float, ...). Fused-type functions
have no single signature and are stubbed as taking anything.
"""

import ast
import importlib
import inspect
import pathlib
import re
import sys

MODULES = [
    "_bm",
    "_buildinfo",
    "_cluster",
    "_dense",
    "_enumerate",
    "_graph",
    "_lattice",
    "_plm",
    "_tempering",
    "_weights",
]
C_SCALARS = {
    "double": "float",
    "float": "float",
    "int": "int",
    "Py_ssize_t": "int",
    "int64_t": "int",
    "int32_t": "int",
    "uint64_t": "int",
    "bint": "bool",
    "long": "int",
    "object": "Any",
    "str": "str",
}


def convert(param: str) -> str:
    """One C parameter ("const double[::1] x=None") as a Python one ("x: NDArray[Any] | None = ...")."""
    param = param.strip()
    if param in ("*", "/"):
        return param
    if param.startswith("*"):
        return param.split()[-1] + ": Any"
    default = ""
    if "=" in param:
        param = param.split("=", 1)[0].strip()
        default = " = ..."
    tokens = param.replace("const ", "").split()
    name = tokens[-1]
    ctype = " ".join(tokens[:-1])
    if "[" in ctype:
        py = "NDArray[Any]"
    elif not ctype:
        py = "Any"
    else:
        py = C_SCALARS.get(ctype, "Any")
    if default and py == "NDArray[Any]":
        py = "NDArray[Any] | None"
    return f"{name}: {py}{default}"


def split_params(text: str) -> list[str]:
    """Split a parameter list at the commas outside brackets (memoryview types have commas)."""
    depth, current, out = 0, "", []
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            out.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        out.append(current)
    return out


def signatures(text: str) -> dict[str, list[str]]:
    """Function name -> parameter names of a stub (for --check: types may differ by Cython version)."""
    return {
        node.name: [a.arg for a in node.args.args + node.args.kwonlyargs]
        for node in ast.parse(text).body
        if isinstance(node, ast.FunctionDef)
    }


def stub_text(modname: str) -> str:
    mod = importlib.import_module(f"isingbio._kernels.{modname}")
    lines = [
        f'"""Type stubs of the compiled kernel module {modname} (signatures from the .pyx)."""',
        "",
        "from typing import Any",
        "",
        "from numpy.typing import NDArray",
        "",
    ]
    for name, obj in sorted(vars(mod).items()):
        if name.startswith("_") or not callable(obj) or inspect.isclass(obj):
            continue
        doc = (obj.__doc__ or "").strip()
        first = doc.split("\n", 1)[0]
        m = re.match(rf"{name}\((.*)\)(?:\s*->\s*(.*))?$", first)
        if not m or "signatures, args, kwargs" in first:
            lines.append(f"def {name}(*args: Any, **kwargs: Any) -> Any: ...")
            continue
        params = [convert(p) for p in split_params(m.group(1))]
        lines.append(f"def {name}({', '.join(params)}) -> Any: ...")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    root = pathlib.Path(__file__).resolve().parent.parent / "isingbio" / "_kernels"
    stale = []
    for modname in MODULES:
        path = root / f"{modname}.pyi"
        text = stub_text(modname)
        if "--check" in argv:
            if not path.exists() or signatures(path.read_text()) != signatures(text):
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(f"stale kernel stubs: {', '.join(stale)}; run python tools/kernel_stubs.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

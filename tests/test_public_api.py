"""The public API: every name importable, every function and method fully annotated."""

import importlib
import inspect

import pytest

import isingbio

MODULES = ["isingbio", "isingbio.exact", "isingbio.interop"]


def _public_callables():
    seen = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield f"{module_name}.{name}", obj
            elif inspect.isclass(obj) and not issubclass(obj, (Exception, Warning)):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    elif isinstance(member, property):
                        member = member.fget
                    if inspect.isfunction(member) and id(member) not in seen:
                        seen.add(id(member))
                        yield f"{module_name}.{name}.{attr}", member


def _missing_annotations(func):
    sig = inspect.signature(func)
    missing = [
        p.name
        for p in sig.parameters.values()
        if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty
    ]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_every_public_name_is_importable():
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert hasattr(module, name), f"{module_name}.{name}"


@pytest.mark.parametrize("qualname, func", list(_public_callables()), ids=lambda v: v if isinstance(v, str) else "")
def test_public_callables_are_annotated(qualname, func):
    assert not _missing_annotations(func), f"{qualname} lacks annotations for {_missing_annotations(func)}"


def test_the_package_is_typed():
    from importlib.resources import files

    assert files(isingbio).joinpath("py.typed").is_file()

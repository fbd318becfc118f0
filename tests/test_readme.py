"""Every Python block of README.md (and of the data README) runs as it is, in order, against
the shipped example data: no undefined names, no files the reader does not have."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "isingbio" / "data" / "README.md"]


def python_blocks(path):
    """The Python blocks, less those that say they need what a test machine lacks (SLURM)."""
    blocks = re.findall(r"^```python\n(.*?)^```$", path.read_text(), flags=re.S | re.M)
    return [b for b in blocks if not b.startswith("# not run by the README test")]


def test_readme_has_python_blocks():
    assert len(python_blocks(READMES[0])) >= 3


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_readme_python_blocks_run(readme, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the examples write files (torus.npz, ...) in the working folder
    namespace: dict = {"__name__": "__readme__"}
    for k, block in enumerate(python_blocks(readme), start=1):
        code = compile(block, f"{readme.name}, python block {k}", "exec")
        exec(code, namespace)  # a failure names the block and its line
    capsys.readouterr()

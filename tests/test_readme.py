"""Every Python block of README.md (and of the data README) runs as it is, in order, against
the shipped example data: no undefined names, no files the reader does not have."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the first line of a block that needs what no test has (a cluster, the reader's own files)
NOT_RUN = "# not run by the tests: needs "
READMES = [ROOT / "README.md", ROOT / "isingbio" / "data" / "README.md"]


def python_blocks(path):
    return re.findall(r"^```python\n(.*?)^```$", path.read_text(), flags=re.S | re.M)


def test_readme_has_python_blocks():
    blocks = python_blocks(READMES[0])
    assert len(blocks) >= 3
    assert sum(b.startswith(NOT_RUN) for b in blocks) <= 2  # the cluster examples only


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_readme_python_blocks_run(readme, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # the examples write files (torus.npz, ...) in the working folder
    namespace: dict = {"__name__": "__readme__"}
    for k, block in enumerate(python_blocks(readme), start=1):
        code = compile(block, f"{readme.name}, python block {k}", "exec")  # every block is valid Python
        if block.startswith(NOT_RUN):
            continue
        exec(code, namespace)  # a failure names the block and its line
    capsys.readouterr()

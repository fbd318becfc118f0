"""The scripts in examples/ run (the quick one end to end, the others up to their imports)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_example_uses_only_public_names(script):
    import isingbio

    tree = ast.parse(script.read_text())
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "isingbio"
    }
    assert used <= set(isingbio.__all__), f"{script.name} uses {sorted(used - set(isingbio.__all__))}"


def test_phase_transition_example_runs(tmp_path):
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "ising_phase_transition.py"), "--size", "8", "--sweeps", "300"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()[1:]]
    assert len(rows) == 9
    for t, e, err, exact, *_ in rows:
        assert abs(float(e) - float(exact)) < 6 * float(err) + 1e-3, (t, e, err, exact)

"""The .pyi stubs of the compiled kernels name the functions and parameters the kernels have."""

import pathlib
import subprocess
import sys

TOOL = pathlib.Path(__file__).resolve().parents[2] / "tools" / "kernel_stubs.py"


def test_kernel_stubs_match_the_compiled_signatures():
    run = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr

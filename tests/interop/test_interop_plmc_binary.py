"""plmc itself (../shared/peers/plmc, skipped when absent) on a small alignment, focus mode:
its parameter file read by isingbio gives its couplings file, target and numbering."""

import subprocess

import numpy as np
import pytest

from isingbio.interop import dca_scores, read_plmc, read_plmc_couplings

from ..conftest import SHARED_DATA

PLMC = SHARED_DATA.parent / "peers" / "plmc"


@pytest.mark.parametrize("gapless", [False, True])
def test_plmc_focus_run(tmp_path, gapless):
    fasta = SHARED_DATA / "PF00014" / "prepared" / "PF00014.fasta"
    if not PLMC.exists() or not fasta.exists():
        pytest.skip("../shared/peers/plmc or the PF00014 alignment is not present")
    lines = fasta.read_text().splitlines()[:600]  # 300 sequences: a run of about a second
    small = tmp_path / "small.fasta"
    small.write_text("\n".join(lines) + "\n")
    focus = lines[0][1:].split()[0]
    cmd = [
        str(PLMC),
        "-o",
        str(tmp_path / "p.params"),
        "-c",
        str(tmp_path / "p.couplings"),
        "-le",
        "16.0",
        "-lh",
        "0.01",
    ]
    cmd += ["-m", "20", "-n", "1", "-f", focus, *(["-g"] if gapless else []), str(small)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    model = read_plmc(tmp_path / "p.params")
    ref = read_plmc_couplings(tmp_path / "p.couplings")
    np.testing.assert_array_equal(model.positions, ref.positions)
    assert model.metadata["target"]["sequence"] == ref.sequence
    assert model.metadata["gaps_modelled"] is (not gapless)
    fn, cn = dca_scores(model, "plmc")
    assert np.abs(cn - ref.cn).max() <= 0.5e-6 + 4 * np.finfo(np.float32).eps * fn.max()

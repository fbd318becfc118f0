"""CCMpred itself (../shared/peers/ccmpred, skipped when absent): its raw file gives its .mat
through isingbio, and it reads a raw file isingbio wrote (``-i``, no iterations)."""

import subprocess

import numpy as np
import pytest

from isingbio.interop import dca_scores, read_ccmpred_mat, read_ccmpred_raw, read_plmc, write_ccmpred_raw

from ..conftest import SHARED_DATA

CCMPRED = SHARED_DATA.parent / "peers" / "ccmpred"
EPS32 = np.finfo(np.float32).eps


@pytest.fixture
def small_aln(tmp_path):
    aln = SHARED_DATA / "PF00014" / "prepared" / "PF00014.aln"
    if not CCMPRED.exists() or not aln.exists():
        pytest.skip("../shared/peers/ccmpred or the PF00014 alignment is not present")
    path = tmp_path / "small.aln"
    path.write_text("\n".join(aln.read_text().splitlines()[:300]) + "\n")
    return path


def ccmpred(*args):
    subprocess.run([str(CCMPRED), "-t", "1", *map(str, args)], check=True, capture_output=True, timeout=120)


def test_ccmpred_raw_to_its_mat(tmp_path, small_aln):
    ccmpred("-n", "10", "-r", tmp_path / "r.raw", small_aln, tmp_path / "r.mat")
    mat = read_ccmpred_mat(tmp_path / "r.mat")
    cn = dca_scores(read_ccmpred_raw(tmp_path / "r.raw"), "ccmpred")[1]
    np.testing.assert_allclose(cn, mat, rtol=0, atol=64 * EPS32 * np.abs(mat).max())


def test_ccmpred_reads_isingbios_raw_file(tmp_path, small_aln):
    plmc_file = SHARED_DATA / "interop" / "PF00014.plmc.q21.params"
    if not plmc_file.exists():
        pytest.skip("../shared/data/interop is not present")
    model = read_plmc(plmc_file)
    write_ccmpred_raw(model, tmp_path / "ours.raw")
    ccmpred("-n", "0", "-i", tmp_path / "ours.raw", small_aln, tmp_path / "ours.mat")
    mat = read_ccmpred_mat(tmp_path / "ours.mat")
    np.testing.assert_allclose(dca_scores(model, "ccmpred")[1], mat, rtol=0, atol=64 * EPS32 * np.abs(mat).max())

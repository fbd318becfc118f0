"""Batches of families on Dask: byte-identical outputs, failed rows, memory refusal, resume."""

from __future__ import annotations

import os

import numpy as np
import pytest

from isingbio.cli import main
from isingbio.distributed import map_contacts, map_fits
from isingbio.distributed._batch import COLUMNS, family_name

from .conftest import CONTACT_ARGS


def _reader_message(path: str) -> str:
    from isingbio.alignment import read_alignment

    with pytest.raises(Exception) as info:
        read_alignment(path)
    return str(info.value)


def test_batch_contacts_cli_matches_serial(tmp_path, families, malformed, serial_csvs, capsys):
    out = tmp_path / "out"
    rc = main(["batch", "contacts", *families, malformed, "-o", str(out), "--workers", "2", *CONTACT_ARGS])
    assert rc == 1  # one family failed
    for name, data in serial_csvs.items():
        assert (out / f"{name}.csv").read_bytes() == data
    lines = (out / "summary.csv").read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    rows = {line.split(",")[0]: line for line in lines[1:]}
    assert set(rows) == {family_name(f) for f in families} | {"broken"}
    assert ",failed," in rows["broken"]
    assert _reader_message(malformed) in rows["broken"]
    for name in serial_csvs:
        assert ",ok,," in rows[name]
    assert not (out / "broken.csv").exists()
    assert not [f for f in os.listdir(out) if f.startswith(".") and f != ".done"]  # no temporaries left
    captured = capsys.readouterr()
    assert f"{len(families)} of {len(families) + 1} families done, 1 failed" in captured.out
    assert "broken: failed:" in captured.err


def test_map_contacts_table_and_resume(tmp_path, client, families, serial_csvs):
    out = tmp_path / "out"
    table = map_contacts(families, out, client=client, max_iter=5, seed=1, threads=1)
    assert list(table["status"]) == ["ok"] * len(families)
    name = family_name(families[0])
    assert table["L"][0] == 53 and table["N"][0] > 1000
    assert 1 < table["N_eff"][0] < table["N"][0]
    assert table["memory_estimate_mb"][0] > 0 and table["peak_memory_mb"][0] > 0
    assert (out / f"{name}.csv").read_bytes() == serial_csvs[name]
    # resume: complete items are skipped (outputs untouched); an incomplete one runs again
    mtime = (out / f"{name}.csv").stat().st_mtime_ns
    (out / f"{name}.csv").write_bytes(serial_csvs[name][:100])  # truncated: the marker's size no longer matches
    again = map_contacts(families, out, client=client, max_iter=5, seed=1, threads=1, resume=True)
    assert list(again["status"]) == ["ok"] * len(families)
    assert (out / f"{name}.csv").read_bytes() == serial_csvs[name]
    assert (out / f"{name}.csv").stat().st_mtime_ns != mtime
    assert "resumed" not in again["message"][0]
    for k in range(1, len(families)):
        assert "resumed" in again["message"][k]


def test_resume_reruns_a_family_done_with_other_options(tmp_path, client):
    """--resume after changing an option (or the fit method) must not keep the old outputs."""
    from isingbio.data import example_alignment_path

    path = [str(example_alignment_path())]
    first = map_contacts(path, tmp_path, client=client, max_iter=2, seed=1, threads=1)
    assert first["status"][0] == "ok"
    same = map_contacts(path, tmp_path, client=client, max_iter=2, seed=1, threads=1, resume=True)
    assert "resumed" in same["message"][0]
    other = map_contacts(path, tmp_path, client=client, max_iter=3, seed=1, threads=1, resume=True)
    assert other["status"][0] == "ok" and "resumed" not in other["message"][0]
    # a model fitted by another method in the same directory is not complete either
    plm = map_fits(path, tmp_path / "m", method="plm", client=client, max_iter=2, seed=1, threads=1)
    assert plm["status"][0] == "ok"
    bm = dict(n_chains=20, max_steps=1, sweeps_per_step=1, init="profile")
    again = map_fits(path, tmp_path / "m", method="bm", client=client, seed=1, threads=1, resume=True, bm_options=bm)
    assert again["status"][0] == "ok" and "resumed" not in again["message"][0]


def test_map_fits_plm_models(tmp_path, client):
    from isingbio._family import fit_family, read_family
    from isingbio.data import example_alignment_path
    from isingbio.io import load_model
    from isingbio.weights import sequence_weights

    path = str(example_alignment_path())
    table = map_fits([path], tmp_path, method="plm", client=client, max_iter=3, seed=4, threads=1)
    assert list(table["status"]) == ["ok"] and table["output"][0] == "PF00014.npz"
    model = load_model(tmp_path / "PF00014.npz")
    aln = read_family(path)
    w, _ = sequence_weights(aln, identity=0.8, n_threads=1)
    ref = fit_family(aln, w, max_iter=3, seed=4, threads=1).model
    np.testing.assert_array_equal(model.J, ref.J)
    np.testing.assert_array_equal(model.h, ref.h)


def test_family_larger_than_any_worker_is_refused(tmp_path):
    import distributed

    from isingbio.data import example_alignment_path

    # workers that declare 10 MB for our tasks: PF00014's fit needs about 70 MB
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, resources={"MEMORY": 10e6}, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        table = map_contacts([str(example_alignment_path())], tmp_path, client=c, max_iter=2)
    assert table["status"][0] == "refused"
    assert "the largest worker holds 0.01 GiB" in table["message"][0]
    assert table["memory_estimate_mb"][0] > 10
    assert not (tmp_path / "PF00014.csv").exists()


def test_bad_arguments(tmp_path, capsys, families):
    assert main(["batch", "contacts", families[0], "-o", str(tmp_path), "--workers", "1", "--scheduler", "x"]) == 2
    assert "either --scheduler or --workers" in capsys.readouterr().err
    # the alignment format is spelled as in `contacts` (parsed, then the same cluster error)
    argv = ["batch", "contacts", families[0], "-o", str(tmp_path), "--alignment-format", "fasta"]
    assert main([*argv, "--workers", "1", "--scheduler", "x"]) == 2
    assert "either --scheduler or --workers" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown option"):
        map_contacts(families, tmp_path, max_iterations=3)
    with pytest.raises(ValueError, match="same output"):
        map_contacts([families[0], families[0]], tmp_path)
    with pytest.raises(ValueError, match="exceeds the"):
        map_contacts(families, tmp_path, n_workers=os.cpu_count() + 1)


def test_an_output_that_links_to_an_input_is_refused_before_any_work(tmp_path, capsys):
    """OUTDIR/<family>.csv a symbolic link to the alignment: refused, the alignment untouched."""
    rng = np.random.default_rng(3)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    aln = tmp_path / "fam.fasta"
    aln.write_text("".join(f">s{k}\n{''.join(rng.choice(letters, 10))}\n" for k in range(20)))
    before = aln.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    (out / "fam.csv").symlink_to(aln)
    rc = main(["batch", "contacts", str(aln), "-o", str(out), "--workers", "1", "--max-iter", "2", "-q"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "is the input alignment" in err, err
    assert aln.read_bytes() == before and (out / "fam.csv").is_symlink()
    assert sorted(os.listdir(out)) == ["fam.csv"]  # no summary, no marker


def test_batch_fit_cli_on_a_running_scheduler(tmp_path, client, capsys):
    import isingbio
    from isingbio.data import example_alignment_path
    from isingbio.io import load_model

    path = str(example_alignment_path())
    address = client.scheduler.address
    argv = ["batch", "fit", path, "-o", str(tmp_path / "plm"), "--scheduler", address, "--max-iter", "2", "-q"]
    assert main(argv) == 0
    assert load_model(tmp_path / "plm" / "PF00014.npz").n_sites == 53
    argv = ["batch", "fit", path, "-o", str(tmp_path / "bm"), "--method", "bm", "--scheduler", address, "-q"]
    argv += ["--max-steps", "3", "--chains", "200", "--sweeps", "2", "--seed", "5"]
    assert main(argv) == 0
    model = load_model(tmp_path / "bm" / "PF00014.npz")
    assert model.n_sites == 53 and model.metadata["gaps_modelled"] is True
    serial = isingbio.fit_bm(
        isingbio.read_alignment(path), max_steps=3, n_chains=200, sweeps_per_step=2, seed=5, n_threads=1
    )
    np.testing.assert_array_equal(model.J, serial.model.J)

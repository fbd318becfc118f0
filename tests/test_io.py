"""Saving and loading dense models (.npz): round trip, metadata, bad files."""

import json
import os

import numpy as np
import pytest

from isingbio import FormatError, InputError, IsingModel, PottsModel, __version__
from isingbio.io import load_model, save_model


def small_model(rng, L=5, q=4, dtype=np.float64):
    J = np.zeros((L, L, q, q), dtype=dtype)
    for i in range(L):
        for j in range(i + 1, L):
            b = rng.normal(size=(q, q))
            J[i, j], J[j, i] = b, b.T
    return PottsModel(rng.normal(size=(L, q)).astype(dtype), J)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip(tmp_path, rng, dtype):
    from isingbio.alphabets import get_alphabet

    model = small_model(rng, q=5, dtype=dtype)
    model.alphabet = get_alphabet("dna")
    model.positions = np.arange(10, 15)
    model.metadata = {"hyperparameters": {"lambda_J": 0.5}, "n_eff": np.float64(3.5)}
    path = tmp_path / "m.npz"
    save_model(model, path, seed=7)
    back = load_model(path)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back.h, model.h)
    np.testing.assert_array_equal(back.J, model.J)
    assert back.alphabet.letters == "-ACGT"
    np.testing.assert_array_equal(back.positions, np.arange(10, 15))
    assert back.metadata["seed"] == 7
    assert back.metadata["hyperparameters"] == {"lambda_J": 0.5}
    assert back.metadata["n_eff"] == 3.5
    assert back.metadata["isingbio_version"] == __version__
    assert os.listdir(tmp_path) == ["m.npz"]
    with np.load(path, allow_pickle=False) as d:  # self-describing without isingbio
        assert str(d["format"]) == "isingbio.model"
        assert json.loads(str(d["metadata"]))["seed"] == 7


def test_fitted_model_round_trip(tmp_path, rng):
    from isingbio.alignment import Alignment
    from isingbio.contacts import contact_scores
    from isingbio.plm import fit_plm

    seqs = ["".join(rng.choice(list("ACDEFGHIKL-"), size=12)) for _ in range(40)]
    res = fit_plm(Alignment.from_sequences(seqs), max_iter=10, seed=3)
    path = tmp_path / "fit.npz"
    save_model(res.model, path)
    back = load_model(path)
    assert back.alphabet.letters == res.model.alphabet.letters
    assert back.metadata["seed"] == 3
    assert back.metadata["hyperparameters"]["lambda_J"] == res.hyperparameters["lambda_J"]
    assert back.metadata["weights_summary"]["n"] == 40
    np.testing.assert_array_equal(contact_scores(back), contact_scores(res.model))


def test_model_without_extras(tmp_path, rng):
    model = small_model(rng)
    save_model(model, tmp_path / "plain")  # no .npz suffix: the name is kept as given
    back = load_model(tmp_path / "plain")
    assert back.alphabet is None
    np.testing.assert_array_equal(back.positions, np.arange(1, 6))


@pytest.mark.parametrize(
    "model",
    [
        PottsModel.lattice((3,), 3, J=0.5, periodic=False),
        PottsModel.lattice((4, 3), 3, J=(0.5, -0.2), h=[0.1, 0.0, -0.3]),
        IsingModel.lattice((5, 4, 3), J=(1.0, 0.5, -0.25), h=0.3, periodic=(True, False, True)),
        IsingModel.lattice((6,), h=np.linspace(-1, 1, 6)),
        IsingModel.from_graph(np.array([[0, 1.5, 0], [1.5, 0, -2.0], [0, -2.0, 0]]), h=[0.1, 0.2, 0.3]),
        PottsModel.from_graph(np.array([[0, 1.5, 0], [1.5, 0, 2.0], [0, 2.0, 0]]), 4),
    ],
    ids=[
        "potts-lattice-open",
        "potts-lattice-field",
        "ising-3d",
        "ising-ring-per-site-field",
        "ising-graph",
        "potts-graph",
    ],
)
def test_every_form_is_saved_as_it_is(tmp_path, model):
    model.metadata = {"note": "kept"}
    save_model(model, tmp_path / "m.npz")
    back = load_model(tmp_path / "m.npz")
    assert type(back) is type(model) and back.form == model.form and back.q == model.q
    assert back.shape == model.shape and back.periodic == model.periodic
    np.testing.assert_array_equal(back.h, model.h)
    for got, want in zip(back.edges, model.edges):
        np.testing.assert_array_equal(got, want)
    assert back.metadata["note"] == "kept"
    x = np.random.default_rng(0).integers(0, model.q, size=(20, model.n_sites))
    x = 2 * x - 1 if isinstance(model, IsingModel) else x
    np.testing.assert_array_equal(back.energy(x), model.energy(x))


def test_a_large_ising_lattice_is_saved_in_bytes(tmp_path):
    save_model(IsingModel.lattice((512, 512), h=0.1), tmp_path / "big.npz")
    assert os.path.getsize(tmp_path / "big.npz") < 4096  # not L^2 q^2, not even L
    assert load_model(tmp_path / "big.npz").uniform_field == 0.1


def test_version_1_files_are_read(tmp_path, rng):
    model = small_model(rng)
    np.savez(
        tmp_path / "v1.npz",
        format=np.array("isingbio.potts-dense"),
        format_version=np.array(1),
        h=model.h,
        J=model.J,
        alphabet=np.array(""),
        alphabet_name=np.array(""),
        positions=np.arange(1, 6),
        metadata=np.array('{"seed": 4}'),
        isingbio_version=np.array("0.1.0"),
    )
    back = load_model(tmp_path / "v1.npz")
    np.testing.assert_array_equal(back.J, model.J)
    assert back.metadata == {"seed": 4, "isingbio_version": "0.1.0"}


def test_damaged_files_are_named(tmp_path, rng):
    save_model(small_model(rng), tmp_path / "m.npz")
    data = (tmp_path / "m.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="cut.npz"):
        load_model(tmp_path / "cut.npz")


def test_crc_damage_and_header_lies_are_format_errors(tmp_path, rng):
    import zipfile

    save_model(small_model(rng), tmp_path / "m.npz")
    data = bytearray((tmp_path / "m.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "m.npz") as zf:
        info = zf.getinfo("couplings_J.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    damaged = bytearray(data)
    damaged[start + info.compress_size // 2] ^= 0xFF  # inside J's data
    (tmp_path / "crc.npz").write_bytes(bytes(damaged))
    with pytest.raises(FormatError, match=r"crc\.npz: damaged \.npz archive, member 'couplings_J\.npy'"):
        load_model(tmp_path / "crc.npz")
    # an .npy header whose shape claims far more data than the member holds: refused
    # before allocating (a stored member, so that the header bytes are in the clear)
    with zipfile.ZipFile(tmp_path / "big.npz", "w") as zf:
        with zipfile.ZipFile(tmp_path / "m.npz") as src:
            for item in src.infolist():
                payload = src.read(item)
                if item.filename == "h.npy":
                    payload = payload.replace(b"'shape': (", b"'shape': (99999999999, ", 1)
                zf.writestr(item.filename, payload)
    with pytest.raises(FormatError, match=r"member 'h\.npy'.*header says"):
        load_model(tmp_path / "big.npz")


def test_bad_files(tmp_path, rng):
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(FormatError, match="junk.npz"):
        load_model(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", h=np.zeros((2, 2)))
    with pytest.raises(FormatError, match="not an isingbio model"):
        load_model(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.npz")
    model = small_model(rng)
    model.alphabet = "-AC"
    with pytest.raises(InputError, match="3 letters"):
        save_model(model, tmp_path / "bad.npz")
    model.alphabet = None
    with pytest.raises(InputError, match="JSON"):
        save_model(model, tmp_path / "bad.npz", thing=object.__new__(type("X", (), {"__str__": None})))
    assert not (tmp_path / "bad.npz").exists()


def test_text_file_is_not_a_model_and_directory_is_not_an_output(tmp_path, rng):
    (tmp_path / "aln.fasta").write_text(">a\nACDE\n")
    with pytest.raises(FormatError, match="not an isingbio model file") as info:
        load_model(tmp_path / "aln.fasta")
    assert "pickle" not in str(info.value)
    (tmp_path / "sub").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save_model(small_model(rng), tmp_path / "sub")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(small_model(rng), tmp_path / "nodir" / "m.npz")
    assert sorted(os.listdir(tmp_path)) == ["aln.fasta", "sub"]
    assert os.listdir(tmp_path / "sub") == []


def test_text_arrays_beyond_unicode_are_format_errors(tmp_path, rng):
    """A damaged 'U' member can hold code points beyond U+10FFFF, which make broken str
    objects (SystemError later, in set() or hashing): refused when the file is read."""
    import zipfile

    save_model(small_model(rng), tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "bad.npz", "w") as zf:
        with zipfile.ZipFile(tmp_path / "m.npz") as src:
            for item in src.infolist():
                payload = src.read(item)
                if item.filename == "kind.npy":
                    payload = payload[:-4] + b"\xff\xff\xff\x7f"  # the last character: 0x7fffffff
                zf.writestr(item.filename, payload)
    with pytest.raises(FormatError, match=r"bad\.npz: damaged \.npz archive, member 'kind\.npy'.*U\+10FFFF"):
        load_model(tmp_path / "bad.npz")

"""Bad peer files: one-line FormatErrors naming the file, the offset or line and what was expected;
a seeded fuzz of the readers raises nothing else."""

import gzip

import numpy as np
import pytest

from isingbio import PROTEIN, load_model, save_model
from isingbio.errors import FormatError, InputError
from isingbio.interop import (
    read_ccmpred_mat,
    read_ccmpred_raw,
    read_evcouplings_csv,
    read_plmc,
    read_plmc_couplings,
    write_ccmpred_raw,
    write_plmc,
)

from .test_interop_roundtrip import random_model


def one_line(exc_info, path):
    msg = str(exc_info.value)
    assert "\n" not in msg and str(path) in msg
    return msg


@pytest.fixture
def plmc_file(tmp_path, rng):
    path = tmp_path / "m.params"
    write_plmc(random_model(rng, L=5), path)
    return path


@pytest.fixture
def raw_file(tmp_path, rng):
    path = tmp_path / "m.raw"
    write_ccmpred_raw(random_model(rng, L=4), path)
    return path


def test_truncated_plmc_file(tmp_path, plmc_file):
    data = plmc_file.read_bytes()
    bad = tmp_path / "cut.params"
    bad.write_bytes(data[:-100])
    with pytest.raises(FormatError) as info:
        read_plmc(bad)
    msg = one_line(info, bad)
    assert "truncated" in msg and f"expected {len(data)} bytes" in msg
    bad.write_bytes(data[:12])
    with pytest.raises(FormatError, match="byte offset 0: truncated: expected 5 x int32") as info:
        read_plmc(bad)
    one_line(info, bad)


def test_plmc_size_that_does_not_match_L_and_q(tmp_path, plmc_file):
    data = bytearray(plmc_file.read_bytes())
    data[4:8] = np.array([20], "<i4").tobytes()  # q = 20 in the header, q = 21 blocks in the file
    bad = tmp_path / "q.params"
    bad.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"does not match the header \(L = 5, q = 20") as info:
        read_plmc(bad)
    one_line(info, bad)
    data[4:8] = np.array([500], "<i4").tobytes()
    bad.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="byte offset 4: q = 500 in the header: expected"):
        read_plmc(bad)


def test_plmc_wrong_alphabet_and_non_finite(tmp_path, plmc_file):
    data = bytearray(plmc_file.read_bytes())
    good = bytes(data)
    data[41] = data[40]  # a letter twice
    bad = tmp_path / "a.params"
    bad.write_bytes(bytes(data))
    with pytest.raises(
        FormatError, match="byte offset 40: alphabet .*: expected 21 distinct printable letters"
    ) as info:
        read_plmc(bad)
    one_line(info, bad)
    data = bytearray(good)
    data[-4:] = np.array([np.nan], "<f4").tobytes()
    bad.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=f"byte offset {len(good) - 4}: couplings e_ij: expected finite"):
        read_plmc(bad)


def test_ccmpred_missing_block_and_wrong_alphabet(tmp_path, raw_file):
    lines = raw_file.read_text().splitlines(keepends=True)
    bad = tmp_path / "b.raw"
    start = 4 + 22  # the second block, "# 0 2"
    bad.write_text("".join(lines[:start] + lines[start + 22 :]))
    with pytest.raises(FormatError, match=f"line {start + 1}: expected '# 0 2'") as info:
        read_ccmpred_raw(bad)
    one_line(info, bad)
    bad.write_text("".join(lines[:-5]))
    with pytest.raises(FormatError, match="expected 21 numbers|truncated") as info:
        read_ccmpred_raw(bad)
    one_line(info, bad)
    # an alphabet of another size: 5 values per line
    text = "\n".join("\t".join(["0.1"] * 4) for _ in range(3)) + "\n"
    bad.write_text(text)
    with pytest.raises(FormatError, match="line 1: expected 20 numbers .*ARNDCQEGHILKMFPSTWYV") as info:
        read_ccmpred_raw(bad)
    one_line(info, bad)
    lines[4 + 1] = lines[4 + 1].replace("\t", "\tx", 1)
    bad.write_text("".join(lines))
    with pytest.raises(FormatError, match="line 6: expected a number"):
        read_ccmpred_raw(bad)
    gz = tmp_path / "c.raw.gz"
    gz.write_bytes(gzip.compress(raw_file.read_bytes())[:-20])
    with pytest.raises(FormatError, match="gzip"):
        read_ccmpred_raw(gz)


def test_load_model_names_a_score_file(tmp_path):
    path = tmp_path / "s.mat"
    path.write_text("0 1\n1 0\n")
    with pytest.raises(FormatError, match="score file, not a model"):
        load_model(path)
    with pytest.raises(FormatError, match="expected 20 numbers"):
        load_model(path, format="ccmpred")


@pytest.mark.parametrize("name", ["m.couplings", "m.mat", "m.rr", "m.csv"])
def test_save_model_refuses_a_score_file_name(tmp_path, rng, name):
    with pytest.raises(InputError, match="score file, not a model file"):
        save_model(random_model(rng, L=4), tmp_path / name)
    assert not (tmp_path / name).exists()
    save_model(random_model(rng, L=4), tmp_path / name, format="isingbio")  # said explicitly: written
    assert load_model(tmp_path / name).n_sites == 4


READERS = [read_plmc, read_ccmpred_raw, read_ccmpred_mat, read_plmc_couplings, read_evcouplings_csv, load_model]


def test_fuzzed_files_raise_only_format_errors(tmp_path, rng):
    """Truncations, flipped bytes, inserted and deleted bytes: every reader either reads the file
    or raises FormatError (a one-line message naming the file), nothing else."""
    fuzz = np.random.default_rng(20261203)
    model = random_model(rng, L=4)
    model.metadata = {"target": {"id": None, "sequence": "ACDE"}}
    write_plmc(model, tmp_path / "seed.params")
    write_ccmpred_raw(model, tmp_path / "seed.raw")
    seeds = [
        (tmp_path / "seed.params").read_bytes(),
        (tmp_path / "seed.raw").read_bytes(),
        b"1 A 2 C 0 0.5\n1 A 3 D 0 0.25\n",
        b"i,A_i,j,A_j,fn,cn\n1,A,2,C,0.5,0.4\n",
        b"0\t1\n1\t0\n",
        gzip.compress((tmp_path / "seed.raw").read_bytes()),
    ]
    path = tmp_path / "fuzz.dat"
    for trial in range(600):
        data = bytearray(seeds[trial % len(seeds)])
        op = trial % 4
        if op == 0:
            data = data[: fuzz.integers(0, len(data))]
        elif op == 1:
            for _ in range(fuzz.integers(1, 4)):
                data[fuzz.integers(0, len(data))] ^= 1 << int(fuzz.integers(0, 8))
        elif op == 2:
            k = int(fuzz.integers(0, len(data)))
            data = data[:k] + bytes(fuzz.integers(0, 256, size=int(fuzz.integers(1, 9)), dtype=np.uint8)) + data[k:]
        else:
            k = int(fuzz.integers(0, len(data)))
            data = data[:k] + data[k + int(fuzz.integers(1, 9)) :]
        path.write_bytes(bytes(data))
        for reader in READERS:
            try:
                reader(path)
            except FormatError as exc:
                assert "\n" not in str(exc) and str(path) in str(exc), (reader.__name__, trial, str(exc))


def test_protein_alphabet_kept(tmp_path, plmc_file):
    assert read_plmc(plmc_file).alphabet is PROTEIN


@pytest.mark.parametrize(
    "text, reader, message",
    [
        ("1 A 2 C 0 inf\n", read_plmc_couplings, "line 1: expected 'i A_i j A_j 0 CN'"),
        ("1 A 2 C 0.5\n", read_plmc_couplings, "line 1: expected 'i A_i j A_j 0 CN'"),
        ("i,A_i,j,A_j,fn,cn\n1,A,2,C,0.5,nan\n", read_evcouplings_csv, "line 2: expected 6"),
        ("i,A_i,j,A_j,fn,cn\ninf,A,2,C,0.5,0.1\n", read_evcouplings_csv, "line 2: expected 6"),
        ("i,j,fn\n", read_evcouplings_csv, "line 1: expected the columns"),
        ("0 1\n1\n", read_ccmpred_mat, "line 2: expected 2 numbers"),
    ],
)
def test_bad_score_files(tmp_path, text, reader, message):
    path = tmp_path / "s.txt"
    path.write_text(text)
    with pytest.raises(FormatError, match=message) as info:
        reader(path)
    one_line(info, path)

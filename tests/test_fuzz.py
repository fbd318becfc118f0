"""Fuzz suite: seeded random mutations of the shipped example files.

Byte flips, truncation, NULs, duplicated and deleted lines, damaged headers, CRLF,
non-UTF-8 bytes, damaged gzip streams and damaged model ``.npz`` files. Every reader ends
with a result or an :class:`~isingbio.errors.InputError` (``FormatError`` included), every
command with exit 0 or a one-line error and exit 2 (never a traceback), each case under a
timeout, and a failed command leaves no file behind. The count is bounded (a few hundred
reader cases, a hundred in-process command runs, a few subprocesses): seconds in CI.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from isingbio import IsingModel, PottsModel
from isingbio.alignment import read_alignment
from isingbio.alphabets import PROTEIN
from isingbio.cli import main
from isingbio.data import example_alignment_path
from isingbio.errors import InputError
from isingbio.io import load_model, save_model

SEED = 20261203
SCALE = int(os.environ.get("ISINGBIO_FUZZ_SCALE", "1"))  # ISINGBIO_FUZZ_SCALE=20: a deeper run
N_READER_CASES = 40 * SCALE  # per source file
CASE_TIMEOUT = 10.0  # seconds, per case

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # tiny runs: SamplingWarning etc. on purpose


@contextlib.contextmanager
def time_limit(seconds: float):
    """Fail a case that runs longer than `seconds` (a hang), by SIGALRM in the main thread."""

    def expire(signum, frame):
        raise TimeoutError(f"case ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ---- the shipped sources, small --------------------------------------------------------------


def _example_records(n=30):
    text = gzip.decompress(open(example_alignment_path(), "rb").read()).decode()
    records = []
    for chunk in text.split(">")[1 : n + 1]:
        head, *seq = chunk.strip().split("\n")
        records.append((head.split()[0], "".join(seq)))
    return records


def _fasta(records):
    return "".join(f">{i}\n{s[:30]}\n{s[30:]}\n" for i, s in records).encode()


def _stockholm(records):
    width = max(len(i) for i, _ in records) + 1
    blocks = []
    for start in (0, 30):
        blocks.append("".join(f"{i:<{width}}{s[start : start + 30]}\n" for i, s in records))
    return ("# STOCKHOLM 1.0\n#=GF ID PF00014\n\n" + "\n".join(blocks) + "//\n").encode()


def _a2m(records):
    out = []
    for k, (i, s) in enumerate(records):  # insert states in lower case in some rows
        ins = "gk" if k % 3 == 0 else ""
        out.append(f">{i}\n{s[:20]}{ins}{s[20:]}\n")
    return "".join(out).encode()


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """name -> bytes of each source file (the shipped family, cut to 30 sequences)."""
    records = _example_records()
    folder = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(5)
    L, q = 8, 21
    h = rng.normal(0, 1, (L, q))
    J = rng.normal(0, 0.2, (L, L, q, q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    J[np.arange(L), np.arange(L)] = 0
    dense = PottsModel(h, J)
    dense.alphabet = PROTEIN
    save_model(dense, folder / "dense.npz")
    save_model(IsingModel.lattice((3, 3), h=0.1), folder / "lattice.npz")
    save_model(dense, folder / "dense.params")  # plmc's binary parameter file
    save_model(dense, folder / "dense.raw")  # CCMpred's raw parameter text
    return {
        "aln.fasta": _fasta(records),
        "aln.sto": _stockholm(records),
        "aln.a2m": _a2m(records),
        "aln.fasta.gz": gzip.compress(_fasta(records), mtime=0),
        "model.npz": (folder / "dense.npz").read_bytes(),
        "lattice.npz": (folder / "lattice.npz").read_bytes(),
        "model.params": (folder / "dense.params").read_bytes(),
        "model.raw": (folder / "dense.raw").read_bytes(),
        "seqs.fasta": b"".join(
            b">s%d\n%s\n" % (k, s[:8].replace("-", "A").encode()) for k, (_, s) in enumerate(records)
        ),
    }


# ---- mutations ------------------------------------------------------------------------------


def _lines(data):
    return data.split(b"\n")


def flip_bytes(data, rng):
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        b[int(rng.integers(len(b)))] ^= 1 << int(rng.integers(8))
    return bytes(b)


def truncate(data, rng):
    return data[: int(rng.integers(0, len(data)))]


def nuls(data, rng):
    k = int(rng.integers(len(data)))
    return data[:k] + b"\x00" * int(rng.integers(1, 5)) + data[k:]


def duplicate_line(data, rng):
    lines = _lines(data)
    k = int(rng.integers(len(lines)))
    return b"\n".join(lines[: k + 1] + lines[k:])


def delete_line(data, rng):
    lines = _lines(data)
    k = int(rng.integers(len(lines)))
    return b"\n".join(lines[:k] + lines[k + 1 :])


def damage_header(data, rng):
    lines = _lines(data)
    heads = [k for k, line in enumerate(lines) if line[:1] in (b">", b"#")] or [0]
    k = heads[int(rng.integers(len(heads)))]
    junk = [b"", b">", b"# STOCKHOLM", b"#=GC RF xx", b"\xff\xfe>", b"> ", b"//"]
    lines[k] = junk[int(rng.integers(len(junk)))] + lines[k][int(rng.integers(0, 3)) :]
    return b"\n".join(lines)


def crlf(data, rng):
    return data.replace(b"\n", b"\r\n")


def non_utf8(data, rng):
    k = int(rng.integers(len(data)))
    return data[:k] + bytes(rng.integers(0x80, 0x100, int(rng.integers(1, 4)), dtype=np.uint8)) + data[k:]


def npz_member(data, rng):
    """Damage one member of an .npz inside a valid archive (CRCs recomputed): the .npy
    header or data must be checked by the reader itself, not by the zip layer."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    victim = names[int(rng.integers(len(names)))]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in names:
            payload = src.read(name)
            if name == victim:
                if rng.random() < 0.5:  # within the header (first 128 bytes) or anywhere
                    payload = flip_bytes(payload[:128], rng) + payload[128:]
                else:
                    payload = [flip_bytes, truncate, nuls][int(rng.integers(3))](payload, rng)
            zf.writestr(name, payload)
    return out.getvalue()


TEXT_MUTATIONS = [flip_bytes, truncate, nuls, duplicate_line, delete_line, damage_header, crlf, non_utf8]
BINARY_MUTATIONS = [flip_bytes, truncate, nuls]


def mutate(name, data, rng):
    """One random mutation suited to the file: binary damage for .gz/.npz, any for text."""
    if name.endswith(".gz") and rng.random() < 0.5:  # damage the text inside a good gzip
        inner = gzip.decompress(data)
        fn = TEXT_MUTATIONS[int(rng.integers(len(TEXT_MUTATIONS)))]
        return f"gz({fn.__name__})", gzip.compress(fn(inner, rng), mtime=0)
    if name.endswith(".npz") and rng.random() < 0.5:
        return "npz_member", npz_member(data, rng)
    kinds = BINARY_MUTATIONS if name.endswith((".gz", ".npz")) else TEXT_MUTATIONS
    fn = kinds[int(rng.integers(len(kinds)))]
    return fn.__name__, fn(data, rng)


# ---- readers --------------------------------------------------------------------------------

READER_SOURCES = [
    "aln.fasta",
    "aln.sto",
    "aln.a2m",
    "aln.fasta.gz",
    "model.npz",
    "lattice.npz",
    "model.params",
    "model.raw",
]


@pytest.mark.parametrize("source", READER_SOURCES)
def test_readers_on_mutated_files(sources, tmp_path, source):
    rng = np.random.default_rng([SEED, READER_SOURCES.index(source)])
    outcomes = {"ok": 0, "error": 0}
    kinds = set()
    for case in range(N_READER_CASES):
        kind, data = mutate(source, sources[source], rng)
        kinds.add(kind)
        path = tmp_path / f"{case}_{source}"
        path.write_bytes(data)
        try:
            with time_limit(CASE_TIMEOUT):
                if source.endswith((".npz", ".params", ".raw")):
                    load_model(path)
                else:
                    read_alignment(path)
            outcomes["ok"] += 1
        except InputError as exc:  # FormatError included: one line, names the file
            msg = str(exc)
            assert "\n" not in msg and str(path) in msg, (kind, msg)
            outcomes["error"] += 1
        except Exception as exc:  # anything else is a defect: say which mutation
            raise AssertionError(f"{source} case {case} ({kind}): {type(exc).__name__}: {exc}") from exc
    assert outcomes["error"] > 0  # the mutations do damage
    assert len(kinds) >= 3


# ---- commands, in process -------------------------------------------------------------------

COMMANDS = {
    # source mutated -> argv ({f}: the mutated file, {m}: the good model, {s}: good sequences, {o}: an output)
    "aln.fasta": [
        ["contacts", "{f}", "--max-iter", "2", "-o", "{o}.csv"],
        ["sample", "{m}", "--start", "{f}", "-o", "{o}.fa"],
        ["fit", "{f}", "--method", "plm", "--max-iter", "2", "-o", "{o}.npz"],
    ],
    "aln.sto": [["contacts", "{f}", "--max-iter", "2", "-o", "{o}.csv", "--save-model", "{o}.npz"]],
    "aln.fasta.gz": [["contacts", "{f}", "--max-iter", "2", "-o", "{o}.csv"]],
    "seqs.fasta": [["score", "{m}", "{f}", "-o", "{o}.csv"]],
    "model.npz": [
        ["sample", "{f}", "-n", "4", "--chains", "2", "--burn-in", "2", "--thin", "1", "-o", "{o}.fa"],
        ["score", "{f}", "{s}", "-o", "{o}.csv"],
        ["convert", "{f}", "{o}.params"],
        ["convert", "{f}", "{o}.couplings"],
    ],
    "lattice.npz": [["logz", "{f}", "--chains", "4", "--steps", "5", "--schedule", "linear", "-o", "{o}.npz"]],
    "model.params": [["convert", "{f}", "{o}.npz"], ["score", "{f}", "{s}", "-o", "{o}.csv"]],
    "model.raw": [["convert", "{f}", "{o}.mat"]],
}
N_COMMAND_CASES = 10 * SCALE  # per (source, command)


def _command_cases():
    return [(src, k) for src, argvs in COMMANDS.items() for k in range(len(argvs))]


@pytest.mark.parametrize("source, which", _command_cases())
def test_commands_on_mutated_files(sources, tmp_path, capsys, source, which):
    good = tmp_path / "good"
    good.mkdir()
    (good / "model.npz").write_bytes(sources["model.npz"])
    (good / "seqs.fasta").write_bytes(sources["seqs.fasta"])
    rng = np.random.default_rng([SEED, 99, list(COMMANDS).index(source), which])
    for case in range(N_COMMAND_CASES):
        kind, data = mutate(source, sources[source], rng)
        work = tmp_path / f"case{case}"
        work.mkdir()
        f = work / ("input_" + source)
        f.write_bytes(data)
        argv = [
            a.format(f=f, m=good / "model.npz", s=good / "seqs.fasta", o=work / "out") for a in COMMANDS[source][which]
        ] + (["--quiet"] if COMMANDS[source][which][0] == "convert" else ["--quiet", "--seed", "1", "--threads", "1"])
        before = sorted(os.listdir(work))
        with time_limit(CASE_TIMEOUT):
            try:
                rc = main(argv)
            except SystemExit as exc:  # argparse
                rc = exc.code
        err = capsys.readouterr().err
        assert rc in (0, 2), (kind, argv, rc, err)
        assert "Traceback" not in err, (kind, err)
        if rc == 2:
            lines = [line for line in err.splitlines() if line.startswith("isingbio ")]
            assert len(lines) == 1 and "error:" in lines[0], (kind, err)
            assert sorted(os.listdir(work)) == before, (kind, "a failed run left a file")


# ---- a few commands through a real process: exit code, stderr, no traceback ------------------


@pytest.mark.parametrize(
    "source, mutation, argv",
    [
        ("model.npz", truncate, ["sample", "{f}", "-n", "4", "-o", "{o}.fa"]),
        ("model.npz", flip_bytes, ["logz", "{f}", "--chains", "4", "--steps", "5", "-o", "{o}.npz"]),
        ("aln.fasta.gz", flip_bytes, ["contacts", "{f}", "--max-iter", "2", "-o", "{o}.csv"]),
        ("aln.sto", truncate, ["contacts", "{f}", "--max-iter", "2", "-o", "{o}.csv"]),
    ],
)
def test_commands_in_a_subprocess(sources, tmp_path, source, mutation, argv):
    rng = np.random.default_rng([SEED, 7])
    data = mutation(sources[source], rng)
    for _ in range(20):  # a damage that is detected (a flip in a gzip header field may not be)
        if data != sources[source]:
            break
        data = mutation(sources[source], rng)
    f = tmp_path / ("input_" + source)
    f.write_bytes(data)
    cmd = [a.format(f=f, o=tmp_path / "out") for a in argv] + ["--quiet", "--seed", "1"]
    proc = subprocess.run(
        [sys.executable, "-m", "isingbio", *cmd], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode in (0, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    if proc.returncode == 2:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert sorted(os.listdir(tmp_path)) == ["input_" + source]

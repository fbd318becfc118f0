"""The output policy of every command (isingbio._files): -o equal to an input (by name and
through a symbolic link), a symbolic link, a FIFO, a device, a directory, a read-only
directory, '-' and an unknown plot format. Each case checks the exit code, the one-line
message and that every file that existed before is byte-identical afterwards (and that no
file was added) when the command is refused."""

import os
import stat

import numpy as np
import pytest

from isingbio import IsingModel, PottsModel
from isingbio.alphabets import PROTEIN
from isingbio.cli import main
from isingbio.io import save_model

L, Q = 8, 21
LETTERS = "ACDEFGHIKLMNPQRSTVWY"
pytestmark = pytest.mark.filterwarnings("ignore::isingbio.errors.SamplingWarning")  # tiny runs on purpose


@pytest.fixture
def world(tmp_path):
    """Inputs of every command in tmp_path/in; outputs go to tmp_path."""
    rng = np.random.default_rng(13)
    h = rng.normal(0, 1.0, (L, Q))
    J = rng.normal(0, 0.2, (L, L, Q, Q))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    J[np.arange(L), np.arange(L)] = 0
    model = PottsModel(h, J)
    model.alphabet = PROTEIN
    save_model(model, tmp_path / "model.npz")
    save_model(IsingModel.lattice((3, 3)), tmp_path / "ising.npz")
    seqs = ["".join(rng.choice(list(LETTERS), L)) for _ in range(6)]
    (tmp_path / "seqs.fasta").write_text("".join(f">s{k}\n{s}\n" for k, s in enumerate(seqs)))
    base = rng.choice(list(LETTERS), 12)
    rows = []
    for _ in range(30):
        s = base.copy()
        flip = rng.random(12) < 0.3
        s[flip] = rng.choice(list(LETTERS), flip.sum())
        rows.append("".join(s))
    (tmp_path / "aln.fasta").write_text("".join(f">a{k}\n{s}\n" for k, s in enumerate(rows)))
    return tmp_path


# command -> (argv with {d} for the folder, inputs, kind of -o, extension of -o)
COMMANDS = {
    "contacts": (["contacts", "{d}/aln.fasta", "--max-iter", "3", "--seed", "1"], ["aln.fasta"], "text", ".csv"),
    "sample": (
        ["sample", "{d}/model.npz", "-n", "4", "--chains", "2", "--burn-in", "2", "--thin", "1", "--seed", "1"],
        ["model.npz"],
        "text",
        ".fasta",
    ),
    "score": (["score", "{d}/model.npz", "{d}/seqs.fasta"], ["model.npz", "seqs.fasta"], "text", ".csv"),
    "logz": (
        ["logz", "{d}/ising.npz", "--chains", "8", "--steps", "10", "--schedule", "linear", "--forward-only"],
        ["ising.npz"],
        "binary",
        ".npz",
    ),
    "simulate": (
        ["simulate", "--shape", "4x4", "--sweeps", "10", "--burn-in", "2", "--seed", "1"],
        [],
        "binary",
        ".npz",
    ),
    # -o is required: a later -o in a case replaces this one
    "fit": (
        ["fit", "{d}/aln.fasta", "-o", "{d}/fit.npz", "--max-steps", "1", "--chains", "20", "--sweeps", "1"]
        + ["--max-iter", "3", "--seed", "1"],
        ["aln.fasta"],
        "binary",
        ".npz",
    ),
}


def snapshot(folder):
    """Every entry under `folder`: its type and content (bytes of a file, target of a link)."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, folder)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as fh:
                    out[rel] = ("file", fh.read())
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                out[rel] = ("special", stat.S_IFMT(st.st_mode))
    return out


def run(command, world, *extra):
    argv, _, _, _ = COMMANDS[command]
    return main([a.format(d=world) for a in argv] + ["--quiet"] + [str(a) for a in extra])


def refused(capsys, rc, *words):
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


def with_inputs():
    return [(c, i) for c, spec in COMMANDS.items() for i in spec[1]]


@pytest.mark.parametrize("command, name", with_inputs())
@pytest.mark.parametrize("option", ["-o", "--plot"])
def test_output_equal_to_an_input_is_refused(world, capsys, command, name, option):
    before = snapshot(world)
    target = world / name
    if option == "--plot":  # the figure format is fine: the name is the problem
        target = world / (name + ".png")
        os.link(world / name, target)  # the same file under another name (a hard link)
        before = snapshot(world)
    refused(capsys, run(command, world, option, target), "would be overwritten")
    assert snapshot(world) == before


@pytest.mark.parametrize("command, name", with_inputs())
def test_output_that_links_to_an_input_is_refused(world, capsys, command, name):
    os.symlink(world / name, world / ("alias" + os.path.splitext(name)[1]))
    before = snapshot(world)
    refused(capsys, run(command, world, "-o", world / ("alias" + os.path.splitext(name)[1])), "would be overwritten")
    assert snapshot(world) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symlink_output_is_written_through(world, capsys, command):
    ext = COMMANDS[command][3]
    (world / "real").mkdir()
    real = world / "real" / ("out" + ext)
    real.write_bytes(b"old")
    link = world / ("link" + ext)
    os.symlink(real, link)
    assert run(command, world, "-o", link) == 0, capsys.readouterr().err
    assert os.path.islink(link) and os.readlink(link) == str(real)  # the link stays
    assert real.read_bytes() not in (b"", b"old")  # its target was replaced
    assert sorted(os.listdir(world / "real")) == ["out" + ext]  # no temporary left


@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_is_refused_and_left_alone(world, capsys, command):
    os.mkfifo(world / "pipe")
    before = snapshot(world)
    refused(capsys, run(command, world, "-o", world / "pipe"), "FIFO", "regular files")
    assert snapshot(world) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_device_is_refused_and_left_alone(world, capsys, command):
    before = snapshot(world)
    refused(capsys, run(command, world, "-o", os.devnull), "a device")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert snapshot(world) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_directory_is_refused(world, capsys, command):
    (world / "sub").mkdir()
    before = snapshot(world)
    refused(capsys, run(command, world, "-o", world / "sub"), "is a directory")
    assert snapshot(world) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_directory_is_refused(world, capsys, command):
    if os.geteuid() == 0:
        pytest.skip("root may write into a read-only directory")
    ro = world / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        before = snapshot(world)
        refused(capsys, run(command, world, "-o", ro / ("out" + COMMANDS[command][3])), "not writable")
        assert snapshot(world) == before
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_plot_format_is_refused_before_any_work(world, capsys, command):
    previous = world / ("previous" + COMMANDS[command][3])
    previous.write_bytes(b"keep me")
    before = snapshot(world)
    refused(capsys, run(command, world, "-o", previous, "--plot", world / "t.xyz"), "unknown figure format 'xyz'")
    assert snapshot(world) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_dash_is_standard_output_for_text_and_refused_for_binary(world, capsys, command, monkeypatch):
    monkeypatch.chdir(world)
    before = snapshot(world)
    rc = run(command, world, "-o", "-")
    if COMMANDS[command][2] == "binary":
        refused(capsys, rc, "cannot go to standard output")
        assert snapshot(world) == before
        return
    assert rc == 0
    out = capsys.readouterr().out
    first = {"contacts": "i,j,score", "sample": ">", "score": "id,energy"}[command]
    assert out.startswith(first), out[:200]
    assert not os.path.exists(world / "-")
    assert snapshot(world) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_outputs_must_differ(world, capsys, command):
    out = world / ("out" + COMMANDS[command][3])
    out.write_bytes(b"keep")
    os.symlink(out, world / "same.png")
    before = snapshot(world)
    refused(capsys, run(command, world, "-o", out, "--plot", world / "same.png"), "the same file")
    assert snapshot(world) == before


def test_contacts_csv_to_stdout_report_to_stderr(world, capsys):
    """contacts writes its CSV to standard output with -o - and its report to stderr."""
    rc = main(["contacts", str(world / "aln.fasta"), "--max-iter", "3", "-o", "-", "--quiet", "--seed", "1"])
    assert rc == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("i,j,score")
    assert "pseudo-likelihood fit" in captured.err


def test_demo_refuses_an_outdir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    refused(capsys, main(["demo", "--outdir", str(tmp_path / "f")]), "not a directory")
    assert (tmp_path / "f").read_text() == "x"

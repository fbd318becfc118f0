import os
import stat

import pytest

from isingbio import InputError, IsingModel, save_model
from isingbio._files import atomic_output, atomic_path, check_not_input, check_output_path, decompress, same_file
from isingbio.errors import FormatError


def test_atomic_output_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]
    with atomic_output(target) as fh:
        fh.write("new")
    assert target.read_text() == "new"


def test_outputs_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_path(tmp_path / "a.npz") as tmp:
            open(tmp, "w").close()
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.npz").stat().st_mode) == 0o644


# ---- the output policy of the Python writers ----------------------------------------------


def test_a_symlink_is_written_through(tmp_path):
    real = tmp_path / "real.npz"
    real.write_bytes(b"old")
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    save_model(IsingModel.lattice((2, 2)), link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes()[:2] == b"PK"
    assert sorted(os.listdir(tmp_path)) == ["link.npz", "real.npz"]


def test_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "new.npz")
    save_model(IsingModel.lattice((2, 2)), link)
    assert link.is_symlink() and (tmp_path / "new.npz").read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("kind", ["fifo", "device", "dash"])
def test_devices_fifos_and_dash_are_refused(tmp_path, kind, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe")
        path, match = str(tmp_path / "pipe"), "FIFO"
    elif kind == "device":
        path, match = os.devnull, "a device"
    else:
        path, match = "-", "standard output"
    with pytest.raises(InputError, match=match):
        save_model(IsingModel.lattice((2, 2)), path)
    assert os.listdir(tmp_path) == (["pipe"] if kind == "fifo" else [])
    if kind == "device":
        assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_check_output_path_returns_the_link_target(tmp_path):
    (tmp_path / "t.txt").write_text("x")
    (tmp_path / "l.txt").symlink_to(tmp_path / "t.txt")
    assert check_output_path(tmp_path / "l.txt") == str(tmp_path / "t.txt")
    with pytest.raises(FileNotFoundError):
        check_output_path(tmp_path / "t.txt" / "sub")


def test_same_file_by_name_link_and_hard_link(tmp_path):
    a = tmp_path / "a"
    a.write_text("x")
    (tmp_path / "s").symlink_to(a)
    os.link(a, tmp_path / "h")
    assert same_file(a, tmp_path / "." / "a") and same_file(a, tmp_path / "s") and same_file(a, tmp_path / "h")
    assert not same_file(a, tmp_path / "missing")
    with pytest.raises(InputError, match="is the input MODEL"):
        check_not_input(tmp_path / "h", [(None, "X"), (str(a), "MODEL")], "-o")


@pytest.mark.parametrize("kind", ["gzip", "bz2", "xz"])
def test_damaged_compressed_data_names_the_offset(kind):
    import bz2
    import gzip
    import lzma

    raw = b"".join(b">s%d\nACDEFGHIKL\n" % k for k in range(2000))
    packed = {"gzip": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[kind](raw)
    assert decompress(packed, "f") == raw
    assert decompress(packed + packed, "f") == raw + raw  # concatenated members
    with pytest.raises(FormatError, match=f"truncated {kind} data"):
        decompress(packed[: len(packed) // 2], "f")
    bad = bytearray(packed)
    bad[len(bad) // 2] ^= 0xFF
    with pytest.raises(FormatError, match=rf"^f: damaged {kind} data near byte \d+"):
        decompress(bytes(bad), "f")

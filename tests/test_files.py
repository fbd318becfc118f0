import os
import stat

import pytest

from isingbio._files import atomic_output, atomic_path


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

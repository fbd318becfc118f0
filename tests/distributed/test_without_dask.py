"""Without Dask: `import isingbio` works, and the distributed commands say what to install."""

from __future__ import annotations

import subprocess
import sys

from .conftest import worker_env

BLOCK = "import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None; "


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK + code], env=worker_env(), capture_output=True, text=True)


def test_import_and_messages_without_dask():
    out = _run(
        "import isingbio, isingbio.distributed as d\n"
        "try:\n    d.map_contacts(['x.fasta'], '/tmp/never')\n"
        "except isingbio.errors.IsingbioError as e:\n    print('ERR', e)\n"
    )
    assert out.returncode == 0, out.stderr
    assert "ERR the distributed layer needs Dask: pip install 'isingbio[distributed]'" in out.stdout
    cli = _run("from isingbio.cli import main; sys.exit(main(['logz', '--shape', '4x4', '--workers', '2']))")
    assert cli.returncode == 1
    assert cli.stderr.strip() == (
        "isingbio logz: error: the distributed layer needs Dask: pip install 'isingbio[distributed]'"
    )

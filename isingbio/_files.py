"""Output files written atomically: a temporary file beside the target, renamed on success."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile


def check_output_path(path) -> str:
    """Refuse, before anything is written, an output path that cannot be a file.

    Raises ``IsADirectoryError`` for an existing directory (or a name ending in a path
    separator), ``FileNotFoundError`` when the parent directory does not exist and
    ``PermissionError`` when it is not writable. Returns the path as a string.
    """
    path = os.fspath(path)
    if not path or path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)) or os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not an output file", path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "output directory does not exist", directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "output directory is not writable", directory)
    return path


def _readable_mode(fd_or_path) -> None:
    """mkstemp creates 0600 files; give the output the usual 0666 & ~umask instead."""
    umask = os.umask(0)
    os.umask(umask)
    if isinstance(fd_or_path, int):
        os.fchmod(fd_or_path, 0o666 & ~umask)
    else:
        os.chmod(fd_or_path, 0o666 & ~umask)


def _temporary_beside(path: str, suffix: str):
    """(fd, name) of a new, readable temporary file in the directory of `path`."""
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.splitext(os.path.basename(path))[0]
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=suffix, dir=directory)
    _readable_mode(fd)
    return fd, tmp


@contextlib.contextmanager
def atomic_output(path, mode="w", suffix=None):
    """Open a temporary file next to `path`; rename it over `path` only on success.

    Nothing is left behind when the block raises, so a failed run never leaves a
    half-written output file.
    """
    path = check_output_path(path)
    fd, tmp = _temporary_beside(path, suffix or os.path.splitext(path)[1] or ".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_paths():
    """Yield ``stage(path, default_ext="")``, which returns a temporary path beside `path`
    (with its extension, else `default_ext`: writers read the format from it). When the
    block succeeds every staged file is renamed over its target; when it raises, none is
    left, so a failing run leaves none of its outputs, not only no partial one.
    For writers that want a file name (``np.savez``, ``matplotlib.savefig``).
    """
    staged = []

    def stage(path, default_ext: str = "") -> str:
        path = check_output_path(path)
        fd, tmp = _temporary_beside(path, os.path.splitext(path)[1] or default_ext)
        os.close(fd)
        staged.append((tmp, path))
        return tmp

    try:
        yield stage
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path` (same extension) and rename it over `path` on success."""
    with atomic_paths() as stage:
        yield stage(path)

"""Files: the one output policy of every writer and command, and damaged-file checks of readers.

Output policy (every Python writer and every ``-o``/``--plot``/``--save-model`` option)
-------------------------------------------------------------------------------------
* An output is written atomically: to a temporary file beside it, renamed over it only on
  success, so a failure or Ctrl-C never leaves a half-written file.
* A symbolic link is written through: its target is replaced, the link stays.
* Only regular files are written: an existing device, FIFO or socket (``/dev/null``,
  ``/dev/full``, a named pipe) is refused with a message, never replaced by a file and
  never opened (a FIFO without a reader would block forever). Use ``-`` or a shell
  redirection for those.
* ``-`` means standard output in the commands whose format is text (CSV, FASTA); elsewhere
  (``.npz`` files, figures, and the Python writers, which take a file object instead) it
  is refused: it never creates a file named ``-``.
* An output that is one of the command's inputs, by name or as the same file
  (``os.path.samefile``: hard links, symbolic links), is refused before any work.
* A directory, a missing or read-only parent directory and (for figures) an extension
  matplotlib cannot write are refused before any work too.
"""

from __future__ import annotations

import bz2
import contextlib
import errno
import lzma
import os
import stat
import tempfile
import zlib
from collections.abc import Iterable
from typing import Any

from .errors import FormatError, InputError

STDOUT = "-"


def _describe_special(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def resolve_output(path) -> str:
    """The file a write to `path` replaces: the final target of a symbolic link, else `path`."""
    path = os.fspath(path)
    if os.path.islink(path):
        return os.path.realpath(path)
    return path


def check_output_path(path) -> str:
    """Refuse, before anything is written, an output path that cannot be a regular file.

    Raises ``IsADirectoryError`` for an existing directory (or a name ending in a path
    separator), ``FileNotFoundError`` when the parent directory does not exist,
    ``PermissionError`` when it is not writable and :class:`~isingbio.errors.InputError`
    for ``-`` and for an existing device, FIFO or socket (see the module documentation).
    A symbolic link is checked as its target. Returns the path the write replaces (the
    target of a symbolic link, else `path`) as a string.
    """
    path = os.fspath(path)
    if path == STDOUT:
        raise InputError("'-' (standard output) is not a file name here: pass a file object such as sys.stdout")
    if not path or path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)) or os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not an output file", path)
    target = resolve_output(path)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        raise FileNotFoundError(errno.ENOENT, "output directory does not exist", os.path.dirname(target)) from None
    if mode is not None and not stat.S_ISREG(mode):
        what = "a directory, not an output file" if stat.S_ISDIR(mode) else _describe_special(mode)
        shown = path if target == path else f"{path} (-> {target})"
        raise InputError(f"{shown} is {what}: isingbio writes only regular files, give a file name")
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, "output directory does not exist", directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "output directory is not writable", directory)
    return target


def same_file(a, b) -> bool:
    """True when paths `a` and `b` name the same file: the same absolute path (after
    symbolic links) or, when both exist, ``os.path.samefile`` (hard links too)."""
    a, b = os.fspath(a), os.fspath(b)
    if os.path.abspath(a) == os.path.abspath(b) or os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_not_input(output, inputs: Iterable[tuple[object, str]], option: str = "output") -> None:
    """Refuse `output` when it is one of `inputs` (pairs of path and what it is)."""
    if output is None or os.fspath(output) == STDOUT:
        return
    for given, what in inputs:
        if given is None or not isinstance(given, (str, os.PathLike)) or os.fspath(given) == STDOUT:
            continue
        if same_file(output, given):
            out, inp = os.fspath(output), os.fspath(given)
            raise InputError(f"{option} {out} is the input {what} {inp}: it would be overwritten")


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
    half-written output file. The output policy of the module documentation applies
    (a symbolic link is written through; devices, FIFOs and ``-`` are refused).
    """
    target = check_output_path(path)
    fd, tmp = _temporary_beside(target, suffix or os.path.splitext(os.fspath(path))[1] or ".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        check_output_path(path)  # not replaced by a device or a directory meanwhile
        os.replace(tmp, target)
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
    The output policy of the module documentation applies to every staged path.
    """
    staged = []

    def stage(path, default_ext: str = "") -> str:
        target = check_output_path(path)
        fd, tmp = _temporary_beside(target, os.path.splitext(os.fspath(path))[1] or default_ext)
        os.close(fd)
        staged.append((tmp, target, path))
        return tmp

    try:
        yield stage
        for _, _, path in staged:
            check_output_path(path)
        for tmp, target, _ in staged:
            os.replace(tmp, target)
    except BaseException:
        for tmp, _, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path` (same extension) and rename it over `path` on success."""
    with atomic_paths() as stage:
        yield stage(path)


# --- readers: compressed data --------------------------------------------------------------

_CHUNK = 1 << 16


def compression_of(data: bytes) -> str | None:
    """'gzip', 'bz2' or 'xz' from the magic bytes, else None."""
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if data[:3] == b"BZh":
        return "bz2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "xz"
    return None


def decompress(data: bytes, path) -> bytes:
    """Decompress gzip, bz2 or xz `data` (detected from the magic bytes; other data is
    returned as it is). A damaged stream raises :class:`~isingbio.errors.FormatError` naming
    `path` and the offset in the compressed file near which the damage was found."""
    kind = compression_of(data)
    if kind is None:
        return data
    out = []
    pos = 0
    while True:  # concatenated members (gzip -c a b > c, pbzip2, ...)
        dec: Any
        if kind == "gzip":
            dec = zlib.decompressobj(wbits=31)
        elif kind == "bz2":
            dec = bz2.BZ2Decompressor()
        else:
            dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
        start = pos
        try:
            while pos < len(data):
                chunk = data[pos : pos + _CHUNK]
                piece = dec.decompress(chunk)
                out.append(piece)
                used = len(chunk) - len(dec.unused_data) if dec.eof else len(chunk)
                pos += used
                if dec.eof:
                    break
        except (zlib.error, OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            raise FormatError(f"damaged {kind} data near byte {pos} ({_one_line(exc)})", path) from None
        if not dec.eof:
            raise FormatError(f"truncated {kind} data: the stream ends at byte {len(data)} before its end", path)
        if pos >= len(data) or compression_of(data[pos:]) != kind:
            if data[pos:].strip(b"\x00"):
                raise FormatError(f"unexpected data after the {kind} stream at byte {pos}", path)
            return b"".join(out)
        if pos == start:  # no progress: cannot happen with a complete stream, but never loop
            raise FormatError(f"damaged {kind} data near byte {pos}", path)


def _one_line(exc: BaseException, limit: int = 200) -> str:
    """`exc` as 'Type: message' on one line, at most about `limit` characters."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_npz(path) -> dict:
    """All arrays of an ``.npz`` file, checked: every failure of a damaged archive (zip
    structure, CRC, deflate data, ``.npy`` headers, sizes that do not match the header)
    raises :class:`~isingbio.errors.FormatError` naming `path` (and the member)."""
    import zipfile

    import numpy as np
    from numpy.lib import format as npformat

    path = os.fspath(path)
    arrays = {}
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
        raise FormatError(f"damaged .npz (zip) archive ({_one_line(exc)})", path=path) from None
    except (IsADirectoryError, NotADirectoryError):
        raise FormatError("is a directory, not a model file", path=path) from None
    member = ""
    try:
        with zf:
            for info in zf.infolist():
                member = info.filename
                if info.is_dir():
                    continue
                key = member[:-4] if member.endswith(".npy") else member
                with zf.open(info) as fh:
                    version = npformat.read_magic(fh)
                    if version not in ((1, 0), (2, 0), (3, 0)):
                        raise ValueError(f"unsupported .npy version {version}")
                    if version == (1, 0):
                        shape, _, dtype = npformat.read_array_header_1_0(fh)
                    else:
                        shape, _, dtype = npformat.read_array_header_2_0(fh)
                    header_len = fh.tell()
                    if dtype.hasobject:
                        raise ValueError("object arrays are not read (allow_pickle=False)")
                    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
                    if nbytes != info.file_size - header_len:
                        raise ValueError(
                            f"the header says {nbytes} bytes of data but the member holds {info.file_size - header_len}"
                        )
                with zf.open(info) as fh:
                    arrays[key] = npformat.read_array(fh, allow_pickle=False)
                if arrays[key].dtype.kind == "U":  # code points beyond U+10FFFF make broken str objects
                    native = np.ascontiguousarray(arrays[key], dtype=arrays[key].dtype.newbyteorder("="))
                    if native.nbytes and native.reshape(-1).view(np.uint32).max(initial=0) > 0x10FFFF:
                        raise ValueError("text beyond U+10FFFF (damaged bytes)")
    except Exception as exc:  # numpy's header parser on damaged bytes raises anything (SyntaxError,
        # tokenize.TokenError, ...), as does the zip layer: the file is damaged
        where = f", member {member!r}" if member else ""
        raise FormatError(f"damaged .npz archive{where} ({_one_line(exc)})", path=path) from None
    return arrays

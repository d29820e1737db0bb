"""Files a user names: inputs that are really files, outputs that appear whole or not at all.

A folder, a FIFO or a device (``/dev/zero``) given as an input is refused before it is
opened (reading one would fail with a traceback, block, or never end); an output is
written to a temporary file beside the target and renamed over it, so a full disk or an
interrupted write leaves the old file (or none) and no temporary file behind.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

from .errors import InputError, OutputError, Problem

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def input_file(path: str | Path, column: str = "FILE") -> Path:
    """``path`` when it names a regular file that can be read, else an :class:`InputError` saying why.

    >>> input_file("/dev/zero")
    Traceback (most recent call last):
    ...
    ropa.errors.InputError: /dev/zero, column 'FILE': is a character device, not a file; give a register or graph file
    """
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise InputError(Problem(str(p), None, column, None, "no such file")) from None
    except OSError as exc:
        raise InputError(Problem(str(p), None, column, None, f"cannot read it ({exc.strerror or exc})")) from None
    if not stat.S_ISREG(mode):
        kind = next((k for test, k in _KINDS if test(mode)), "not a regular file")
        raise InputError(Problem(str(p), None, column, None,
                                 f"is {kind}, not a file; give a register or graph file"))
    if not os.access(p, os.R_OK):
        raise InputError(Problem(str(p), None, column, None, "cannot read it (permission denied)"))
    return p


def read_input(path: str | Path, limit: int | None = None, column: str = "FILE") -> bytes:
    """The bytes of an input file; with ``limit``, at most ``limit + 1`` are read (the reader refuses more)."""
    p = input_file(path, column)
    try:
        with open(p, "rb") as fp:
            return fp.read() if limit is None else fp.read(limit + 1)
    except OSError as exc:
        raise InputError(Problem(str(p), None, column, None, f"cannot read it ({exc.strerror or exc})")) from None


def output_path(path: str | Path, option: str = "--out") -> Path:
    """``path`` when a file can be written there: not a folder, and in a folder that exists."""
    p = Path(path)
    if p.is_dir():
        raise InputError(Problem(None, None, option, str(p), "is a folder; give a file name"))
    if not p.parent.is_dir():
        raise InputError(Problem(None, None, option, str(p), f"the folder {str(p.parent)!r} does not exist"))
    return p


def write_atomically(path: str | Path, write: Callable[[BinaryIO], None], option: str = "--out") -> Path:
    """Write a file through ``write(fp)``: whole or not at all, nothing left behind on failure.

    The bytes go to a temporary file in the same folder, are flushed to disk, and the
    file is renamed over ``path``. Any failure (a full disk, a quota, an interrupt)
    removes the temporary file; an :class:`OSError` becomes an :class:`OutputError`
    naming the file.
    """
    p = output_path(path, option)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)  # as open() would have made it, not mkstemp's 0600
        with os.fdopen(fd, "wb") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {p}: {exc.strerror or exc}; nothing was written") from exc
        raise
    return p

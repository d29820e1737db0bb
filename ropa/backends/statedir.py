"""The embedded store on disk: a directory of whole states, one of them current.

::

    STORE/                      the --store path ($ROPA_STORE, .ropa/ropa.lbdb by default)
      LOCK                      the writers' lock (flock), held by the one process that may write; its PID
      current                   the number of the state readers open, e.g. "7"; replaced by rename
      states/7/data.lbdb        a whole LadybugDB database: never written again once it is current
      states/7/state.json       when it was made, by what ("import of register.csv (merge)"), its counts
      states/8/...              a state being written, or left by a write that was killed
      journal                   one JSON line per write that was rolled back (shown by `ropa store history`)

Why this shape: an import used to delete the stored graph and copy the new one in, in one LadybugDB
transaction. A kill (SIGKILL, SIGTERM) or a full disk in its commit or checkpoint left a store that opened
empty: the old RoPA and the new one both gone. Now a write never touches the current state. It builds the
new state in a new directory, closes that database (LadybugDB checkpoints its WAL into the file on close,
so nothing is left pending), fsyncs it, and only then points ``current`` at it: one ``os.replace`` of a
small file, then an fsync of the directory. Until that rename the old state is current; after it the new
one is. There is no instant in between. A reader reads ``current`` and opens that state read-only; since
a state is never written after it became current, every read sees one whole state, whoever writes
meanwhile. The writer's lock is a file of ours (``LOCK``), not LadybugDB's lock on a database file: a
database is never renamed under a handle, so no closing handle can drop its WAL beside another database
(what broke an earlier attempt that renamed a fresh database over the store file).

The next writable open after an interrupted write finds the state directory above ``current``, removes
it, and says so: "the interrupted import of FILE was rolled back". A read-only open writes nothing: it
reads ``current`` (a state above it is never read) and only says what it found ("... was found and is
ignored"); the debris stays until the next writer's open. To tell debris from a writer at work it holds
``LOCK`` shared for an instant; a writer that meets that instant waits it out (``READERS_WAIT``). The last
``keep`` states (default 5, ``$ROPA_STORE_KEEP``) stay, so a wrong import can be undone
(``ropa store history``, ``ropa store restore N``; a restore is itself a new state).

This module is the file-system part only (no LadybugDB): :class:`StateDir`.
"""
from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BackendError, StoreLockedError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

DATA = "data.lbdb"
META = "state.json"
_HEX64 = re.compile(r"[0-9a-f]{64}")
DEFAULT_KEEP = 5
#: seconds a writer waits out readers that check the lock for an instant (:meth:`StateDir._writer_at_work`);
#: a writer that holds the lock turns the next one away at once
READERS_WAIT = 2.0
#: how a read-only open's sentence about an interrupted write ends (it stays until a writer removes it)
IGNORED_TAIL = "the next write to the store removes what it left"


def keep_from_env() -> int:
    """How many states a store keeps: ``$ROPA_STORE_KEEP`` (at least 1), else 5."""
    raw = os.environ.get("ROPA_STORE_KEEP", "")
    try:
        return max(1, int(raw)) if raw.strip() else DEFAULT_KEEP
    except ValueError:
        raise BackendError(f"ROPA_STORE_KEEP must be a whole number of states to keep, not {raw!r}") from None


@dataclass
class StateInfo:
    """One state of the store, as ``ropa store history`` lists it."""

    number: int
    created: str = ""
    what: str = ""
    counts: dict = field(default_factory=dict)
    current: bool = False
    schema: int | None = None   # the schema version stamped by the writer (None: written before stamps)
    fingerprint: str | None = None  # the data fingerprint of what it holds (None: written before they were kept)

    def summary(self) -> str:
        c = self.counts
        if not c:
            return ""
        return (f"{c.get('activities', 0)} activities, {c.get('organisations', 0)} organisations, "
                f"{c.get('relationships', 0)} relationships")


def disk_error(exc: OSError, path, doing: str) -> BackendError:
    """A file-system error as a one-line BackendError that names the real cause (ENOSPC above all)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        reason = f"the disk is full ({reason})"
    return BackendError(f"{doing} {path}: {reason}")


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, text: str) -> None:
    """Write a small file whole: to a temporary name, fsync, rename over ``path``, fsync the directory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fp:
            fp.write(text)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


class StateDir:
    """A store directory (see the module docstring). Readers use :meth:`current` and :meth:`data_path`;
    a writer holds :meth:`lock`, then :meth:`begin` / :meth:`publish` or :meth:`discard`.

    >>> import tempfile, pathlib
    >>> d = StateDir(pathlib.Path(tempfile.mkdtemp()) / "store")
    >>> d.current() is None
    True
    >>> d.lock()
    >>> n = d.begin("import of a.csv (merge)", {"activities": 2})
    >>> _ = d.data_path(n).write_bytes(b"...")   # LadybugDB writes the database here
    >>> d.publish(n)
    >>> d.current(), [s.what for s in d.history()]
    (1, ['import of a.csv (merge)'])
    >>> d.unlock()
    """

    def __init__(self, root: str | Path, keep: int | None = None):
        self.root = Path(root)
        self.keep = keep if keep is not None else keep_from_env()
        self._lock_fd: int | None = None

    # -- layout ----------------------------------------------------------------------------------
    @property
    def states(self) -> Path:
        return self.root / "states"

    def state_dir(self, n: int) -> Path:
        return self.states / str(n)

    def data_path(self, n: int) -> Path:
        return self.state_dir(n) / DATA

    def exists(self) -> bool:
        return (self.root / "current").is_file()

    def current(self) -> int | None:
        """The number of the current state, or None when no state was ever published ("0", written with
        the lock file before any state is begun). A store whose pointer is missing although it holds
        states is damaged: refused, and nothing of it removed."""
        try:
            text = (self.root / "current").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            have = self.numbers()
            if have:
                raise BackendError(
                    f"the store {self.root} is damaged: its file 'current' is missing, though it holds the states "
                    f"{', '.join(map(str, have))}; nothing was removed. Write the number of the state to use "
                    f"(the newest whole one is likely {have[-1]}) into {self.root / 'current'}") from None
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise BackendError(f"the store {self.root} cannot be read: its file 'current' is unreadable ({exc})") from exc
        if not text.isdigit():
            raise BackendError(f"the store {self.root} is damaged: its file 'current' holds {text[:40]!r}, "
                               "not a state number")
        return int(text) or None

    def version(self) -> str:
        """Changes exactly when another state becomes current (read without checks: never raises)."""
        try:
            return (self.root / "current").read_text(encoding="ascii").strip()
        except OSError:
            return "-"

    def numbers(self) -> list[int]:
        """Every state directory's number (published or not), ascending."""
        try:
            names = os.listdir(self.states)
        except FileNotFoundError:
            return []
        return sorted(int(n) for n in names if n.isdigit())

    def meta(self, n: int) -> StateInfo:
        try:
            raw = json.loads((self.state_dir(n) / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        schema, fingerprint = raw.get("schema"), raw.get("fingerprint")
        return StateInfo(n, str(raw.get("created", "")), str(raw.get("what", "")), dict(raw.get("counts") or {}),
                         schema=schema if isinstance(schema, int) else None,
                         fingerprint=fingerprint if isinstance(fingerprint, str) and _HEX64.fullmatch(fingerprint)
                         else None)

    def history(self) -> list[StateInfo]:
        """The published states, oldest first; the current one flagged."""
        cur = self.current()
        out = []
        for n in self.numbers():
            if cur is not None and n <= cur and self.data_path(n).exists():
                info = self.meta(n)
                info.current = n == cur
                out.append(info)
        return out

    def journal(self) -> list[dict]:
        """The writes rolled back so far (oldest first)."""
        try:
            lines = (self.root / "journal").read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out

    # -- the writers' lock -------------------------------------------------------------------------
    def lock(self) -> None:
        """Take the writers' lock or raise :class:`StoreLockedError` naming the process that holds it."""
        if self._lock_fd is not None:
            return
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.root / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise disk_error(exc, self.root, "cannot open the store") from exc
        refused = _lock_waiting_out_readers(fd) if fcntl is not None else None
        if refused == "readers":
            os.close(fd)
            raise StoreLockedError(
                f"the store {self.root} is busy: readers kept checking its lock for {READERS_WAIT:g} s (they do "
                "while a killed import's leftovers wait to be removed); try again in a moment")
        if refused == "writer":
            holder = ""
            try:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            finally:
                os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise StoreLockedError(
                f"the store {self.root} is in use by another program{who}, probably a running explorer "
                "or another import; wait for it, stop it, or point this command at another store with "
                "--store PATH")
        try:  # who holds it, for the message above; a full disk must not stop a writer that frees space
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        except OSError:
            pass
        self._lock_fd = fd
        if not (self.root / "current").exists() and not self.numbers():
            try:  # a new store: "no state yet", said before any state is begun (see current())
                write_durably(self.root / "current", "0\n")
            except OSError as exc:
                self.unlock()
                raise disk_error(exc, self.root, "cannot create the store") from exc

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    @property
    def locked(self) -> bool:
        return self._lock_fd is not None

    def try_lock(self) -> bool:
        """Take the lock if nobody holds it (True), without waiting."""
        try:
            self.lock()
            return True
        except (StoreLockedError, BackendError):
            return False

    # -- writing a state ---------------------------------------------------------------------------
    def begin(self, what: str, counts: dict, schema: int | None = None) -> int:
        """Make the directory of the next state and its description (under the lock); its number.
        ``schema`` is the schema version stamp of what will be written into it."""
        assert self.locked, "begin() needs the writers' lock"
        n = max(self.numbers() + [self.current() or 0]) + 1
        d = self.state_dir(n)
        try:
            self.states.mkdir(parents=True, exist_ok=True)
            d.mkdir()
            meta = {"created": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "what": what,
                    "counts": counts, "pid": os.getpid(), **({"schema": schema} if schema is not None else {})}
            write_durably(d / META, json.dumps(meta, ensure_ascii=False, sort_keys=True) + "\n")
            fsync_path(self.states)
        except OSError as exc:
            self.discard(n)
            raise disk_error(exc, self.root, "cannot write a new state of the store") from exc
        return n

    def note(self, n: int, **fields) -> None:
        """Add ``fields`` to the description of state ``n`` before it is published (written whole
        beside it, then renamed over it, as :meth:`begin` writes it)."""
        assert self.locked, "note() needs the writers' lock"
        path = self.state_dir(n) / META
        meta = json.loads(path.read_text(encoding="utf-8"))
        try:
            write_durably(path, json.dumps({**meta, **fields}, ensure_ascii=False, sort_keys=True) + "\n")
        except OSError as exc:
            raise disk_error(exc, self.root, "cannot write a new state of the store") from exc

    def publish(self, n: int) -> None:
        """Make state ``n`` (whole, closed) the current one: fsync it, then swap ``current`` by rename."""
        assert self.locked, "publish() needs the writers' lock"
        d = self.state_dir(n)
        for p in d.iterdir():
            fsync_path(p)
        fsync_path(d)
        fsync_path(self.states)
        write_durably(self.root / "current", f"{n}\n")

    def discard(self, n: int) -> None:
        """Remove a state that never became current (first renamed aside, so no half-removed state
        can look like a whole one)."""
        self._remove(n)

    def _remove(self, n: int) -> None:
        d = self.state_dir(n)
        trash = self.states / f".trash-{n}-{os.getpid()}"
        try:
            os.rename(d, trash)
        except FileNotFoundError:
            return
        except OSError:
            trash = d
        shutil.rmtree(trash, ignore_errors=True)

    def prune(self) -> list[int]:
        """Remove the published states beyond the newest ``keep``; the numbers removed."""
        assert self.locked, "prune() needs the writers' lock"
        cur = self.current()
        published = [n for n in self.numbers() if cur is not None and n <= cur]
        gone = published[:-self.keep] if len(published) > self.keep else []
        for n in gone:
            self._remove(n)
        return gone

    def recover(self) -> list[str]:
        """Under the lock: remove what interrupted writes left (a state above ``current``, temporary
        files, states being removed), journal it, and say what happened, one sentence per write."""
        assert self.locked, "recover() needs the writers' lock"
        notes = []
        cur = self.current()
        for n in self.numbers():
            if cur is None or n > cur:
                info = self.meta(n)
                what = info.what or "write"
                when = f", started {info.created}," if info.created else ""
                back = (f"the store holds state {cur}, as before it" if cur is not None
                        else "the store holds no state yet, as before it")
                notes.append(f"the interrupted {what}{when} was rolled back; {back}")
                self._remove(n)
                self._journal({"time": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                               "event": "rolled back", "what": what, "started": info.created, "kept": cur})
        for leftover in list(self.states.glob(".trash-*")) if self.states.is_dir() else []:
            shutil.rmtree(leftover, ignore_errors=True)
        for tmp in self.root.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
        if self.states.is_dir():
            for tmp in self.states.glob("*/.*.tmp"):
                tmp.unlink(missing_ok=True)
        return notes

    def interrupted(self) -> list[str]:
        """For a reader: what interrupted writes left above ``current``, said in words, changing nothing
        (no file is written, removed or touched; the next writer's :meth:`recover` removes it). A state
        above ``current`` while a writer holds the lock is that writer's work in progress: not said.
        Readers never wait for the lock."""
        cur = self.current()
        above = [n for n in self.numbers() if cur is None or n > cur]
        if not above or self._writer_at_work():
            return []
        notes = []
        for n in above:
            info = self.meta(n)
            when = f", started {info.created}," if info.created else ""
            held = (f"the store reads state {cur}, the last whole one" if cur is not None
                    else "the store holds no whole state yet")
            notes.append(f"the interrupted {info.what or 'write'}{when} was found and is ignored: {held}; "
                         + IGNORED_TAIL)
        return notes

    def _writer_at_work(self) -> bool:
        """Whether a process holds the writers' lock, asked without taking it for more than an instant and
        without writing: a shared flock on a read-only descriptor (kernel state only; nothing on disk)."""
        if self.locked:
            return True
        try:
            fd = os.open(self.root / "LOCK", os.O_RDONLY)
        except FileNotFoundError:
            return False  # no writer ever took it
        except OSError:
            return True   # cannot tell: say nothing rather than call a live write interrupted
        try:
            if fcntl is None:  # pragma: no cover - not POSIX
                return False
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        finally:
            os.close(fd)

    def _journal(self, event: dict) -> None:
        try:  # best effort: a full disk must not stop the clean-up that frees it
            with open(self.root / "journal", "a", encoding="utf-8") as fp:
                fp.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
        except OSError:
            pass


def _lock_waiting_out_readers(fd: int) -> str | None:
    """Take the writers' lock on ``fd`` (None), else say who holds it: "writer" at once, "readers" when
    only readers kept it for :data:`READERS_WAIT` seconds. A reader holds it shared for an instant only
    (:meth:`StateDir._writer_at_work`): a writer that meets one tries again; a shared flock granted, and
    given back at once, tells readers from a writer."""
    deadline = time.monotonic() + READERS_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None
        except OSError:
            pass
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return "writer"
        fcntl.flock(fd, fcntl.LOCK_UN)
        if time.monotonic() >= deadline:
            return "readers"
        time.sleep(0.001)

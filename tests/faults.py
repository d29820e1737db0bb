"""Fault injection for the embedded store: kill ``ropa import`` at sampled instants, fill the disk under
it, and check each time that the store is afterwards exactly its old state or its new one.

Run the long version (``make faults``)::

    python tests/faults.py --relationships 100000 --kills 200 --disk-full 20

A store of ``--relationships`` (made once with ``ropa generate`` and ``ropa import``) is the old state;
each trial copies it, runs ``ropa import SMALL.csv --store COPY`` (a few new rows: the new state is the
old one merged with them), and either sends SIGKILL or SIGTERM after a delay drawn across the whole
length of an uninterrupted import (stratified, so every stretch of the run is hit, including the
commit and the checkpoint), or runs it on a filesystem with only a few bytes left (a small tmpfs where
this process may mount one, else a per-process file-size limit, RLIMIT_FSIZE). Then the store is opened
as a user would open it next and its fingerprint (``ropa.model.fingerprint_of`` its tables) must be the
old one or the new one. Anything else is a loss. ``tests/test_durability.py`` runs a short version.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_small_register(path: Path, tag: str, rows: int = 4) -> Path:
    """A register of a few rows whose names no generated RoPA uses (so the new state differs from the old)."""
    from ropa.formats.register import COLUMNS
    tmp = path.with_name(path.name + f".{os.getpid()}.part")  # renamed into place: a reader never sees half
    with open(tmp, "w", encoding="utf-8", newline="") as fp:
        w = csv.DictWriter(fp, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for i in range(rows):
            w.writerow({c: "" for c in COLUMNS} | {
                "controller": f"Fault {tag} Holding", "controller_country": "NL", "activity": f"Fault {tag} activity {i}",
                "purpose": "test", "legal_basis": "contract", "data_subjects": "customers", "data_categories": "name",
                "retention": "1 year", "security_measures": "encryption", "recipient": f"Fault {tag} vendor {i}",
                "recipient_role": "processor", "recipient_country": ("US", "IN", "DE", "CH")[i % 4],
                "mechanism": ("scc_2021", "", "none", "adequacy")[i % 4], "dpa": "yes", "source": "faults"})
    os.replace(tmp, path)
    return path


def ropa(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ropa", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env, **kw)


def copy_store(src: Path, dst: Path) -> None:
    """A copy of a store (a store directory, or an old single-file store with its WAL)."""
    if src.is_dir():
        shutil.copytree(src, dst, symlinks=True)
    else:
        for p in src.parent.glob(src.name + "*"):
            shutil.copy2(p, dst.parent / (dst.name + p.name[len(src.name):]))


def remove_store(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    for p in path.parent.glob(path.name + "*"):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


STATE_CODE = r"""
import hashlib, json, sys
from ropa.backends.embedded import EmbeddedBackend
from ropa.model import fingerprint_of
known = json.loads(sys.argv[2])                    # sha256 of a state's database file -> its fingerprint
with EmbeddedBackend(sys.argv[1]) as s:            # opened for writing, as the next import would
    notes = list(getattr(s, "notices", []))
    digest = None
    if getattr(s, "_dir", None) is not None:
        with open(s._dir.data_path(s._state), "rb") as fp:
            digest = hashlib.file_digest(fp, "sha256").hexdigest()
    assert s._state is not None or s._dir is None, f"no current state in {sys.argv[1]}: " + repr(
        sorted(str(p) for p in s._dir.root.rglob("*")))
    # the same bytes hold the same data: only a database file not seen before is exported and hashed
    fp = known.get(digest) or fingerprint_of(s.export_tables())
    n = s.run("MATCH (a:Activity) RETURN count(a) AS n")[0]["n"]
print(json.dumps({"fingerprint": fp, "activities": n, "notices": notes, "digest": digest}))
"""

_KNOWN: dict[str, str] = {}  # database file digest -> fingerprint, filled by every full check
_KNOWN_LOCK = threading.Lock()


def store_state(path: Path) -> dict:
    """Open the store as the next user would (in a fresh process) and read its fingerprint and notices."""
    with _KNOWN_LOCK:
        known = json.dumps(_KNOWN)
    out = subprocess.run([sys.executable, "-c", STATE_CODE, str(path), known], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        return {"fingerprint": None, "error": (out.stderr or out.stdout)[-1500:], "notices": []}
    st = json.loads(out.stdout.strip().splitlines()[-1])
    if st.get("digest") and st.get("fingerprint"):
        with _KNOWN_LOCK:
            _KNOWN[st["digest"]] = st["fingerprint"]
    return st


@dataclass
class Scenario:
    """A store holding the old state, registers to import into it, and each one's expected new state."""

    workdir: Path
    base: Path                      # the old state (copied for every trial, never written)
    old: str                        # its fingerprint
    files: list[Path]               # the registers a trial imports
    new: dict[str, str]             # file name -> fingerprint after an uninterrupted import
    duration: float                 # wall time of an uninterrupted import (the longest seen)
    relationships: int
    old_activities: int = 0


def prepare(workdir: Path, relationships: int, variants: int = 3, seed: int = 0, log=print) -> Scenario:
    """Make (or reuse, under ``workdir``) the old store and the registers, and time uninterrupted imports."""
    workdir.mkdir(parents=True, exist_ok=True)
    gen = workdir / f"gen-{relationships}-{seed}"
    base = workdir / f"base-{relationships}-{seed}.lbdb"
    if not (gen / "register.csv").exists():
        out = ropa("generate", "--relationships", str(relationships), "--seed", str(seed), "--out", str(gen))
        assert out.returncode == 0, out.stderr
    if not base.exists():
        t0 = time.monotonic()
        out = ropa("import", str(gen / "register.csv"), "--store", str(base))
        assert out.returncode == 0, out.stderr[-2000:]
        log(f"old state: {relationships} relationships imported in {time.monotonic() - t0:.1f} s")
    old = store_state(base)
    assert old["fingerprint"], old
    files = [write_small_register(workdir / f"small-{k}.csv", str(k)) for k in range(variants)]
    cache = workdir / f"scenario-{relationships}-{seed}-{variants}.json"
    if cache.exists():
        c = json.loads(cache.read_text())
        if c["old"] == old["fingerprint"]:
            _KNOWN.update(c["known"])
            log(f"an uninterrupted import of a {files[0].stat().st_size}-byte register into it: "
                f"{c['duration']:.1f} s (measured before)")
            return Scenario(workdir, base, old["fingerprint"], files, c["new"], c["duration"], relationships,
                            old["activities"])
    new, duration = {}, 0.0
    for f in files:
        trial = workdir / "timing.lbdb"
        remove_store(trial)
        copy_store(base, trial)
        t0 = time.monotonic()
        out = ropa("import", str(f), "--store", str(trial))
        duration = max(duration, time.monotonic() - t0)
        assert out.returncode == 0, out.stderr[-2000:]
        new[f.name] = store_state(trial)["fingerprint"]
        assert new[f.name] not in (None, old["fingerprint"])
        remove_store(trial)
    log(f"an uninterrupted import of a {files[0].stat().st_size}-byte register into it: {duration:.1f} s")
    cache.write_text(json.dumps({"old": old["fingerprint"], "new": new, "duration": duration, "known": _KNOWN}))
    return Scenario(workdir, base, old["fingerprint"], files, new, duration, relationships, old["activities"])


@dataclass
class Outcome:
    kind: str                       # "SIGKILL", "SIGTERM" or "disk full"
    at: float                       # seconds after the start (kills) or bytes left (disk full)
    state: str                      # "old", "new" or "LOST"
    phase: str = ""                 # the victim's last progress line before the fault
    exit: int | None = None
    message: str = ""               # the victim's last error line (disk full)
    notices: list[str] = field(default_factory=list)
    detail: str = ""
    activities: int | None = None   # in the store afterwards (a loss shows how much is left)


def _judge(scn: Scenario, store: Path, f: Path) -> tuple[str, dict]:
    st = store_state(store)
    fp = st.get("fingerprint")
    state = "old" if fp == scn.old else "new" if fp == scn.new[f.name] else "LOST"
    return state, st


def _start(scn: Scenario, store: Path, f: Path, **kw) -> tuple[subprocess.Popen, list]:
    """Start ``ropa import --progress``; a thread keeps its stderr lines (the last is the phase reached)."""
    p = subprocess.Popen([sys.executable, "-m", "ropa", "import", str(f), "--store", str(store), "--progress"],
                         cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **kw)
    lines: list[str] = []

    def pump():
        for line in p.stderr:
            lines.append(line.rstrip("\n"))
    t = threading.Thread(target=pump, daemon=True)
    t.start()
    lines_thread = [lines, t]
    return p, lines_thread


def _phase(lines: list[str]) -> str:
    for line in reversed(lines):
        if line.startswith("progress:"):
            return line.split(":", 1)[1].strip().split(" (")[0]
    return "starting"


# Progress lines a kill can wait for (``ropa import --progress``), so the short phases (the checkpoint,
# the switch) are hit on every machine, however fast, not only by chance. (Each statement of the new state
# commits on its own, inside "writing the new state": there is no separate commit phase.)
ANCHORS = ["loading", "writing the new state", "checkpointing the new state",
           "switching to the new state", "done"]


def kill_trial(scn: Scenario, delay: float, sig: int, f: Path, slot: Path, anchor: str | None = None) -> Outcome:
    """Copy the old store, start an import into it, send ``sig`` ``delay`` seconds after the start (or after
    the progress line ``anchor`` appeared), and judge the store."""
    remove_store(slot)
    copy_store(scn.base, slot)
    p, (lines, pump) = _start(scn, slot, f)
    start = time.monotonic()
    if anchor:
        while p.poll() is None and not any(anchor in line for line in lines):
            time.sleep(0.002)
        start = time.monotonic()
    try:
        p.wait(timeout=max(0.0, delay - (time.monotonic() - start)))
        exited = True
    except subprocess.TimeoutExpired:
        exited = False
        phase = _phase(lines)
        p.send_signal(sig)
        p.wait(timeout=300)
    pump.join(10)
    if exited:
        phase = "finished before the signal"
    state, st = _judge(scn, slot, f)
    name = "SIGKILL" if sig == signal.SIGKILL else "SIGTERM"
    if anchor:
        phase += f" [{delay:.2f} s after '{anchor}']"
    return Outcome(name, round(delay, 3), state, phase, p.returncode, notices=st.get("notices", []),
                   detail=st.get("error", ""), activities=st.get("activities"))


# -- a full disk ------------------------------------------------------------------------------------

@contextlib.contextmanager
def small_filesystem(size_bytes: int):
    """A tmpfs of ``size_bytes`` mounted on a fresh directory, or None where mounting is not allowed."""
    mnt = Path(tempfile.mkdtemp(prefix="ropa-fullfs-"))
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(mnt)],
                        capture_output=True).returncode == 0 if shutil.which("mount") else False
    try:
        yield mnt if ok else None
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)
        shutil.rmtree(mnt, ignore_errors=True)


def tmpfs_available() -> bool:
    with small_filesystem(1 << 20) as mnt:
        return mnt is not None


def store_bytes(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def disk_full_trial(scn: Scenario, free: int, f: Path, mnt: Path | None, slot: Path) -> Outcome:
    """Import with only ``free`` bytes left for the store to grow into; then free the space and judge.

    On a tmpfs (``mnt``) the store is copied there and a filler file takes all but ``free`` bytes: the
    writes fail with ENOSPC. Without one, the import runs under RLIMIT_FSIZE (no file may grow past
    the store's largest file plus ``free``): the writes fail with EFBIG, the nearest a process can get
    to a full disk without privileges."""
    if mnt is not None:
        store = mnt / "store.lbdb"
        remove_store(store)
        (mnt / "filler").unlink(missing_ok=True)
        copy_store(scn.base, store)
        st = os.statvfs(mnt)
        avail = st.f_bavail * st.f_frsize
        with open(mnt / "filler", "wb") as fp:
            left = max(0, avail - free)
            chunk = b"\0" * (1 << 20)
            while left > 0:
                n = fp.write(chunk[:min(left, len(chunk))])
                left -= n
        p, (lines, pump) = _start(scn, store, f)
    else:
        store = slot
        remove_store(store)
        copy_store(scn.base, store)
        limit = max(p.stat().st_size for p in ([store] if store.is_file() else store.rglob("*")) if p.is_file()) + free

        def limit_fsize():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        p, (lines, pump) = _start(scn, store, f, preexec_fn=limit_fsize)
    p.wait(timeout=900)
    pump.join(10)
    if mnt is not None:
        (mnt / "filler").unlink(missing_ok=True)
    state, st = _judge(scn, store, f)
    errors = [line for line in lines if line.startswith("error") or "Traceback" in line]
    return Outcome("disk full", free, state, _phase(lines), p.returncode, errors[-1] if errors else "",
                   st.get("notices", []), st.get("error", "") or ("\n".join(lines[-20:]) if "Traceback" in "".join(lines) else ""),
                   st.get("activities"))


# -- the run ----------------------------------------------------------------------------------------

def kill_plan(n: int, duration: float, rng: random.Random) -> list[tuple[float, int, str | None]]:
    """``n`` (delay, signal, anchor) triples, signals alternating: three in four with delays stratified over
    the whole run ([0, 1.05 x duration] after the start), one in four a few tens of milliseconds after a
    progress line (each of ANCHORS in turn)."""
    timed = n - n // 4
    out = [((i + rng.random()) / timed * duration * 1.05, None) for i in range(timed)]
    out += [(rng.random() * 0.3, ANCHORS[i % len(ANCHORS)]) for i in range(n // 4)]
    rng.shuffle(out)
    return [(d, signal.SIGKILL if i % 2 == 0 else signal.SIGTERM, a) for i, (d, a) in enumerate(out)]


def run(workdir: Path, relationships: int, kills: int, disk_full: int, seed: int = 0, log=print,
        jobs: int = 1) -> dict:
    rng = random.Random(seed)
    t0 = time.monotonic()
    scn = prepare(workdir, relationships, log=log)
    outcomes: list[Outcome] = []
    slot = workdir / "trial.lbdb"
    plan = kill_plan(kills, scn.duration, rng)
    done = [0]

    local, slots = threading.local(), iter(range(jobs))

    def one(i: int) -> Outcome:
        if not hasattr(local, "slot"):  # each worker thread its own copy of the store
            local.slot = workdir / f"trial-{next(slots)}.lbdb"
        delay, sig, anchor = plan[i]
        o = kill_trial(scn, delay, sig, scn.files[i % len(scn.files)], local.slot, anchor)
        done[0] += 1
        log(f"kill {done[0]}/{kills}: {o.kind} at {o.at:.2f} s ({o.phase}) -> {o.state}"
            + (f"  notices: {o.notices}" if o.notices else "") + (f"\n{o.detail}" if o.detail else ""))
        return o
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(jobs) as pool:
        outcomes += list(pool.map(one, range(kills)))
    for j in range(jobs):
        remove_store(workdir / f"trial-{j}.lbdb")
    if disk_full:
        need = store_bytes(scn.base)
        with small_filesystem(need * 3 + (8 << 20)) as mnt:
            log(f"full disk by {'a tmpfs' if mnt else 'RLIMIT_FSIZE (no tmpfs could be mounted)'}; "
                f"the old store takes {need} bytes")
            for i in range(disk_full):
                # bytes left: from almost nothing to a little more than a whole new state takes
                free = int((i + rng.random()) / disk_full * need * 1.3)
                f = scn.files[i % len(scn.files)]
                o = disk_full_trial(scn, free, f, mnt, slot)
                outcomes.append(o)
                log(f"disk full {i + 1}/{disk_full}: {free} bytes left ({o.phase}), exit {o.exit} -> {o.state}"
                    f"  {o.message}" + (f"  notices: {o.notices}" if o.notices else "")
                    + (f"\n{o.detail}" if o.detail else ""))
    remove_store(slot)
    took = time.monotonic() - t0
    k = [o for o in outcomes if o.kind != "disk full"]
    d = [o for o in outcomes if o.kind == "disk full"]
    summary = {
        "relationships": relationships, "old activities": scn.old_activities,
        "uninterrupted import (s)": round(scn.duration, 1),
        "kills": len(k), "SIGKILL": sum(o.kind == "SIGKILL" for o in k), "SIGTERM": sum(o.kind == "SIGTERM" for o in k),
        "kills that hit a running import": sum(o.phase != "finished before the signal" for o in k),
        "disk-full events": sum(o.exit != 0 for o in d), "disk-full trials": len(d),
        "old": sum(o.state == "old" for o in outcomes), "new": sum(o.state == "new" for o in outcomes),
        "losses": sum(o.state == "LOST" for o in outcomes),
        "phases hit": _count(o.phase.split(" [")[0] for o in k), "seconds": round(took), "jobs": jobs,
    }
    return {"summary": summary, "outcomes": [asdict(o) for o in outcomes]}


def _count(items) -> dict:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--relationships", type=int, default=100_000)
    ap.add_argument("--kills", type=int, default=200)
    ap.add_argument("--disk-full", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="kill trials run at once (default 1)")
    ap.add_argument("--workdir", default=str(ROOT / ".faults"), help="cache of the generated stores (default .faults/)")
    ap.add_argument("--out", help="write the summary and every outcome here (JSON)")
    args = ap.parse_args(argv)
    result = run(Path(args.workdir), args.relationships, args.kills, args.disk_full, args.seed,
                 log=lambda m: print(m, flush=True), jobs=args.jobs)
    print(json.dumps(result["summary"], indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if result["summary"]["losses"] else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

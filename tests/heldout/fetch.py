"""Fetch the held-out notices whose licence does not let us ship them, pinned by commit.

    python tests/heldout/fetch.py                  # from raw.githubusercontent.com
    python tests/heldout/fetch.py --clone-root DIR # from local clones DIR/<owner>/<name>
    python tests/heldout/fetch.py --mirror-root DIR  # from bare mirrors DIR/<owner>+<name>/repo

Each text lands in tests/heldout/cache/<id>.txt (git-ignored) and is checked against the sha256 in
sources.csv, so a moved or rewritten file is reported rather than scored. Tests never call this:
they run on the shipped texts in texts/ only. ``--all`` fetches the shipped ones too (to check them).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import subprocess
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def sources() -> list[dict]:
    with open(HERE / "sources.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _from_clone(root: Path, s: dict) -> bytes:
    owner, name = s["repo"].split("/")
    return subprocess.run(["git", "-C", str(root / owner / name), "show", f"{s['commit']}:{s['path']}"],
                          check=True, capture_output=True).stdout


def _from_mirror(root: Path, s: dict) -> bytes:
    git_dir = root / s["repo"].replace("/", "+") / "repo"
    if (git_dir / ".git").is_dir():  # some snapshots arrive as a work-tree layout with the git directory inside
        git_dir = git_dir / ".git"
    return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{s['commit']}:{s['path']}"],
                          check=True, capture_output=True).stdout


def _from_github(s: dict) -> bytes:
    url = f"https://raw.githubusercontent.com/{s['repo']}/{s['commit']}/{s['path']}"
    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310 (a fixed https host)
        return r.read()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clone-root", type=Path, help="read from local clones DIR/<owner>/<name> instead of GitHub")
    ap.add_argument("--mirror-root", type=Path, help="read from bare mirrors DIR/<owner>+<name>/repo")
    ap.add_argument("--all", action="store_true", help="also fetch the texts we ship")
    a = ap.parse_args(argv)
    cache = HERE / "cache"
    cache.mkdir(exist_ok=True)
    bad = 0
    for s in sources():
        if s["shipped"] == "yes" and not a.all:
            continue
        try:
            data = (_from_clone(a.clone_root, s) if a.clone_root else
                    _from_mirror(a.mirror_root, s) if a.mirror_root else _from_github(s))
        except Exception as e:  # noqa: BLE001 (report and go on with the others)
            print(f"{s['id']}: not fetched ({s['repo']}@{s['commit'][:10]}:{s['path']}): {e}", file=sys.stderr)
            bad += 1
            continue
        if hashlib.sha256(data).hexdigest() != s["sha256"]:
            print(f"{s['id']}: sha256 differs from sources.csv; not stored", file=sys.stderr)
            bad += 1
            continue
        (cache / f"{s['id']}.txt").write_bytes(data)
        print(f"{s['id']}: {len(data)} bytes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

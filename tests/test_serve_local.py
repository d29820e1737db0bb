"""`make run` serves the explorer on the loopback interface only and reaches for nothing outside the machine.

The server runs exactly as `make run` starts it, with tests/netaudit/ on PYTHONPATH: its sitecustomize
records every attempt to reach another host (connect, sendto, name look-up, urllib, http.client).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AUDIT = ROOT / "tests" / "netaudit"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listeners(port: int) -> list[str]:
    """The local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = []
    for name, width in (("tcp", 8), ("tcp6", 32)):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr, hexport = local.split(":")
            if state != "0A" or int(hexport, 16) != port:
                continue
            raw = bytes.fromhex(addr)
            if width == 8:
                found.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


def audit_env(tmp_path: Path, **extra) -> tuple[dict, Path]:
    """An environment for a server whose attempts to reach other hosts are written to the returned file."""
    log = tmp_path / "net-audit.log"
    log.touch()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(AUDIT), os.environ.get("PYTHONPATH")])),
           "ROPA_NET_AUDIT": str(log), **extra}
    env.pop("NEO4J_URI", None)
    return env, log


def wait_healthy(base: str, proc: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the explorer did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def test_the_audit_hook_sees_an_outbound_attempt(tmp_path):
    """The hook this file relies on records a connection attempt to another host (and none to loopback)."""
    env, log = audit_env(tmp_path)
    code = ("import socket\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('192.0.2.1', 9)); s.close()\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('127.0.0.1', 9)); s.close()\n")
    subprocess.run([str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else "python3", "-c", code],
                   env=env, check=True, cwd=tmp_path)
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and "192.0.2.1" in lines[0]


@pytest.mark.skipif(not shutil.which("make") or not Path("/proc/net/tcp").exists(),
                    reason="needs make and Linux /proc/net")
def test_make_run_listens_on_loopback_only_and_calls_nobody(tmp_path):
    port = free_port()
    env, audit = audit_env(tmp_path, ROPA_STORE=str(tmp_path / "store.lbdb"))
    out = tmp_path / "make-run.log"
    with open(out, "w") as fp:
        proc = subprocess.Popen(["make", "-s", "run", f"PORT={port}"], cwd=ROOT, env=env, stdout=fp,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, out)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
        assert b"<html" in page.lower()
        time.sleep(1.5)  # a start-up look-up would run in the background right after the banner
        assert listeners(port) == ["127.0.0.1"]
        banner = out.read_text()
        assert f"http://127.0.0.1:{port}" in banner and "External URL" not in banner and "Network URL" not in banner
        assert audit.read_text() == "", f"the server tried to reach other hosts:\n{audit.read_text()}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

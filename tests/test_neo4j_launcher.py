"""tools/neo4j/neo4jctl.py (`make neo4j-up` / `make neo4j-down`) on the server this test session started:
idempotent, loopback only, its settings file sourceable and private, and `down` never stops a process
it did not start."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time

import pytest

from conftest import ROOT, _neo4jctl

CTL = ROOT / "tools" / "neo4j" / "neo4jctl.py"


@pytest.fixture
def started_here(neo4j_server):
    if neo4j_server["dir"] is None:
        pytest.skip("ROPA_TEST_NEO4J_ENV: the server was not started by this session")
    return neo4j_server


def test_up_again_reuses_the_running_server(started_here):
    out = subprocess.run([sys.executable, str(CTL), "up", "--dir", str(started_here["dir"])],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"Neo4j already runs at {started_here['uri']}" in out.stdout
    assert started_here["password"] not in out.stdout + out.stderr
    assert _neo4jctl().read_env(started_here["dir"] / "neo4j.env") == started_here["env"]


def test_the_settings_file_is_private_and_sourceable(started_here):
    env_file = started_here["dir"] / "neo4j.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    out = subprocess.run(["bash", "-c", f'set -a; . "{env_file}"; echo "$NEO4J_URI|$NEO4J_USER|$NEO4J_PASSWORD|'
                          '$NEO4J_DATABASE"'], capture_output=True, text=True, check=True, env={})
    env = started_here["env"]
    assert out.stdout.strip() == "|".join(env[k] for k in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD",
                                                             "NEO4J_DATABASE"))


def test_bolt_listens_on_loopback_only(started_here):
    port = int(started_here["uri"].rsplit(":", 1)[1])
    ctl = _neo4jctl()
    assert ctl.bolt_answers(port)
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for address in addresses - {"127.0.0.1"}:  # the machine's other IPv4 addresses
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((address, port)) != 0, f"Bolt answers on {address}"


def test_down_leaves_a_process_it_did_not_start_alone(tmp_path):
    ctl = _neo4jctl()
    other = subprocess.Popen(["sleep", "60"])
    try:
        server = ctl.Server(tmp_path)
        server.pid_file.write_text(f"{other.pid}\n")  # a stale pid file: that id is now someone else's
        (tmp_path / "neo4j.env").write_text("NEO4J_URI='bolt://127.0.0.1:1'\n")
        assert server.pid() is None and server.settings() is None
        assert server.down() is False
        assert other.poll() is None, "down stopped a process it did not start"
        assert not server.pid_file.exists() and not (tmp_path / "neo4j.env").exists()
    finally:
        other.kill()
        other.wait()


def test_without_java_it_says_why_and_exits_3(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "JAVA_HOME": str(tmp_path / "nojava")}
    out = subprocess.run([sys.executable, str(CTL), "up", "--dir", str(tmp_path / "x")], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 3 and "no Java found" in out.stderr
    assert not (tmp_path / "x" / "neo4j.pid").exists()


def test_up_then_down_starts_and_stops_a_server_of_its_own(started_here, tmp_path):
    """A second server beside the session's (another port, its own data); down stops it and only it."""
    ctl = _neo4jctl()
    server = ctl.Server(tmp_path)
    settings = server.up(heap="512m", pagecache_mb=64)
    pid, port = server.pid(), int(settings["NEO4J_URI"].rsplit(":", 1)[1])
    try:
        assert settings["NEO4J_URI"] != started_here["uri"] and ctl.bolt_answers(port)
        assert settings["NEO4J_PASSWORD"] != started_here["password"] and len(settings["NEO4J_PASSWORD"]) >= 24
        assert (tmp_path / "neo4j" / "data" / "databases" / "neo4j").is_dir()
    finally:
        assert server.down() is True
    assert not os.path.exists(f"/proc/{pid}") and not ctl.bolt_answers(port)
    assert not server.env_file.exists() and not server.pid_file.exists()
    assert ctl.bolt_answers(int(started_here["uri"].rsplit(":", 1)[1]))  # the session's server still runs


@pytest.mark.parametrize("ci", [True, False])
def test_without_java_neo4j_tests_skip_locally_and_fail_under_ci(tmp_path, ci):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "ROPA_TEST_NEO4J_ENV")}
    env.update(PATH=str(tmp_path), JAVA_HOME=str(tmp_path / "nojava"), **({"CI": "true"} if ci else {}))
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-rs",
                          "--basetemp", str(tmp_path / "t"), "tests/test_parity.py::test_import_round_trips_and_twice_changes_nothing"],
                         cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    if ci:
        assert out.returncode == 1 and "skipped" not in out.stdout.splitlines()[-1]  # an error at set-up
        assert "a Neo4j test was skipped under CI (CI=true)" in out.stdout and "no Java found" in out.stdout
    else:
        assert out.returncode == 0 and "1 skipped" in out.stdout and "no Java found" in out.stdout


def test_a_server_stops_itself_once_its_owner_has_gone(tmp_path):
    """A test session killed with SIGKILL cannot stop its server: the server watches the session's process
    and shuts down cleanly when it has gone, instead of living on as an orphaned JVM. The server
    without an owner (`make neo4j-up`) is the session's own here: it must keep running."""
    ctl = _neo4jctl()
    owner = subprocess.Popen(["sleep", "600"])
    server = ctl.Server(tmp_path)
    try:
        settings = server.up(heap="256m", pagecache_mb=16, owner_pid=owner.pid)
    except ctl.Unavailable as exc:
        owner.kill()
        pytest.skip(f"no Neo4j here: {exc}")
    pid, port = server.pid(), int(settings["NEO4J_URI"].rsplit(":", 1)[1])
    try:
        time.sleep(2.5)  # a few watch periods with the owner alive: still up
        assert server.pid() == pid and ctl.bolt_answers(port)
        owner.kill()
        owner.wait()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            try:
                os.waitpid(pid, os.WNOHANG)  # our child here: reap it so /proc/PID goes
            except ChildProcessError:
                pass
            time.sleep(0.2)
        assert not os.path.exists(f"/proc/{pid}"), "the server outlived its owner"
        assert not ctl.bolt_answers(port)
        log = server.log_file.read_text(errors="replace")
        assert f"owner process {owner.pid} has gone: stopping" in log
    finally:
        if server.pid():
            server.down()
        if owner.poll() is None:
            owner.kill()

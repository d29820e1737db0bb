"""Start and stop a local Neo4j 5 Community server for the Neo4j backend (`make neo4j-up` / `make neo4j-down`).

    python tools/neo4j/neo4jctl.py up   [--dir .ropa]   # build (Maven) once, start, wait for Bolt, write DIR/neo4j.env
    python tools/neo4j/neo4jctl.py down [--dir .ropa]   # stop the server this tool started (DIR/neo4j.pid)
    python tools/neo4j/neo4jctl.py status [--dir .ropa]

The server is tools/neo4j/src/main/java/ropa/neo4j/Launcher.java: Neo4j as a library from Maven Central,
Bolt on 127.0.0.1 only at a port the system picks, authentication on with a password generated here,
its data under DIR/neo4j/. DIR/neo4j.env is shell-sourceable (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD,
NEO4J_DATABASE), readable by its owner only. `up` is idempotent: a running server is reused.
`down` stops only the process whose id is in DIR/neo4j.pid, and only if it is this launcher.

Standard library only: the test suite and CI run it before anything else is installed.
Exit status 3 means "cannot run here" (no Java 17+, no Maven, no artifacts): tests skip with the reason.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAIN_CLASS = "ropa.neo4j.Launcher"
CLASSPATH = HERE / "target" / "classpath.txt"
CLASSES = HERE / "target" / "classes"
SOURCES = [HERE / "pom.xml", *sorted((HERE / "src").rglob("*.java"))]
EXIT_UNAVAILABLE = 3
JVM_FLAGS = [  # as Neo4j's own neo4j.conf has them for Java 17+
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+DisableExplicitGC",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED", "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dfile.encoding=UTF-8",
]


class Unavailable(Exception):
    """Neo4j cannot be started on this machine (missing Java/Maven/artifacts); the message says why."""


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if not java:
        raise Unavailable("no Java found (install a JDK 17 or newer, e.g. apt-get install openjdk-17-jdk-headless)")
    out = subprocess.run([java, "-XshowSettings:properties", "-version"], capture_output=True, text=True)
    version = next((line.split("=", 1)[1].strip() for line in out.stderr.splitlines()
                    if line.strip().startswith("java.specification.version")), "0")
    if int(version.split(".")[0] if version.split(".")[0].isdigit() else 0) < 17:
        raise Unavailable(f"{java} is Java {version}; Neo4j 5 needs Java 17 or newer (set JAVA_HOME)")
    return java


def build(quiet: bool = True) -> list[str]:
    """Compile the launcher (offline once Maven has fetched Neo4j); the class path to run it with."""
    fresh = CLASSPATH.exists() and CLASSES.exists() and all(
        CLASSPATH.stat().st_mtime >= s.stat().st_mtime for s in SOURCES)
    if not fresh:
        mvn = shutil.which("mvn")
        if not mvn:
            raise Unavailable("no Maven found (apt-get install maven): it builds tools/neo4j from Maven Central")
        base = [mvn, "-B", "-f", str(HERE / "pom.xml"), *(["-q"] if quiet else []), "process-classes"]
        done = subprocess.run([*base[:4], "-o", *base[4:]], capture_output=True, text=True)
        if done.returncode != 0:  # first build: fetch Neo4j from Maven Central
            print("fetching Neo4j from Maven Central (first build; a few minutes)...", file=sys.stderr)
            done = subprocess.run(base, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise Unavailable(f"building tools/neo4j with Maven failed:\n{tail}")
    return [str(CLASSES), *CLASSPATH.read_text(encoding="utf-8").strip().split(os.pathsep)]


def bolt_answers(port: int, timeout: float = 2.0) -> bool:
    """True if a Bolt server on 127.0.0.1:port agrees a protocol version (the handshake, no login)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            # magic, then four proposals: 5.x ranges, 4.4
            s.sendall(bytes.fromhex("6060B017") + bytes.fromhex("00080805 00000404 00000000 00000000"))
            reply = s.recv(4)
            return len(reply) == 4 and reply != b"\x00\x00\x00\x00"
    except OSError:
        return False


def read_env(path: Path) -> dict[str, str]:
    out = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                out[k.strip()] = v.strip().strip("'")
    return out


class Server:
    """The files of one local server under ``dir``: neo4j/ (its home), neo4j.env, neo4j.pid, neo4j.log."""

    def __init__(self, dir: Path):
        self.dir = Path(dir).resolve()
        self.home = self.dir / "neo4j"
        self.env_file = self.dir / "neo4j.env"
        self.pid_file = self.dir / "neo4j.pid"
        self.port_file = self.dir / "neo4j.port"
        self.log_file = self.dir / "neo4j.log"

    def pid(self) -> int | None:
        """The id of the launcher this tool started for ``dir``, if it still runs."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        args = [a.decode(errors="replace") for a in cmdline]
        if MAIN_CLASS in args and str(self.home) in args:
            return pid
        return None  # a stale file: that id now belongs to another process, leave it alone

    def settings(self) -> dict[str, str] | None:
        """The settings of the running server, if it runs and answers Bolt."""
        env = read_env(self.env_file)
        if self.pid() and env.get("NEO4J_URI", "").startswith("bolt://127.0.0.1:"):
            port = int(env["NEO4J_URI"].rsplit(":", 1)[1])
            if bolt_answers(port):
                return env
        return None

    def up(self, heap: str = "1g", pagecache_mb: int = 256, timeout: float = 180.0,
           owner_pid: int | None = None) -> dict[str, str]:
        """Start the server (or return the running one's settings). With ``owner_pid`` the server stops
        by itself once that process has gone (a test session killed before it could call ``down``)."""
        running = self.settings()
        if running:
            return running
        if self.pid():
            raise RuntimeError(f"a Neo4j started here (pid {self.pid()}) does not answer; "
                               f"see {self.log_file} or run `down` first")
        java = _java()
        classpath = build()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(exist_ok=True)
        self.port_file.unlink(missing_ok=True)
        password = secrets.token_urlsafe(24)
        env = {**os.environ, "ROPA_NEO4J_PASSWORD": password}
        env.pop("ROPA_NEO4J_OWNER_PID", None)
        if owner_pid is not None:
            env["ROPA_NEO4J_OWNER_PID"] = str(owner_pid)
        cmd = [java, f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS, "-cp", os.pathsep.join(classpath),
               MAIN_CLASS, str(self.home), str(self.port_file), str(pagecache_mb)]
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    env=env, cwd=self.dir, start_new_session=True)
        self.pid_file.write_text(f"{proc.pid}\n")
        deadline = time.monotonic() + timeout
        port = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-20:])
                raise RuntimeError(f"Neo4j exited with status {proc.returncode} while starting:\n{tail}")
            if port is None and self.port_file.exists():
                port = int(self.port_file.read_text().strip())
            if port is not None and bolt_answers(port):
                break
            time.sleep(0.3)
        else:
            self.down()
            raise RuntimeError(f"Neo4j did not answer Bolt within {timeout:.0f} s; see {self.log_file}")
        settings = {"NEO4J_URI": f"bolt://127.0.0.1:{port}", "NEO4J_USER": "neo4j",
                    "NEO4J_PASSWORD": password, "NEO4J_DATABASE": "neo4j"}
        part = self.env_file.with_suffix(".env.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("# Written by `make neo4j-up` (tools/neo4j/neo4jctl.py); source it: set -a; . .ropa/neo4j.env\n")
            f.writelines(f"{k}='{v}'\n" for k, v in settings.items())
        os.replace(part, self.env_file)
        return settings

    def down(self, timeout: float = 60.0) -> bool:
        """Stop the server started for this directory; False if none runs."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            self.env_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)  # the launcher's shutdown hook closes the databases cleanly
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            try:  # reap it if it is our child (a test session); harmless otherwise
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.2)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        self.env_file.unlink(missing_ok=True)
        self.port_file.unlink(missing_ok=True)
        return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", choices=["up", "down", "status", "build"])
    p.add_argument("--dir", default=".ropa", help="where the server's files go (default .ropa)")
    p.add_argument("--heap", default=os.environ.get("ROPA_NEO4J_HEAP", "1g"), help="JVM heap (default 1g)")
    p.add_argument("--pagecache-mb", type=int, default=int(os.environ.get("ROPA_NEO4J_PAGECACHE_MB", "256")))
    args = p.parse_args(argv)
    server = Server(Path(args.dir))
    try:
        if args.command == "build":
            _java()
            build(quiet=False)
            print("tools/neo4j built")
        elif args.command == "up":
            was = server.settings()
            s = server.up(args.heap, args.pagecache_mb)
            print(f"Neo4j {'already runs' if was else 'started'} at {s['NEO4J_URI']} (pid {server.pid()}, data "
                  f"{server.home}); settings in {server.env_file}: set -a; . {os.path.relpath(server.env_file)}; set +a")
        elif args.command == "down":
            print("Neo4j stopped" if server.down() else "no Neo4j started here is running")
        else:
            s = server.settings()
            print(f"Neo4j runs at {s['NEO4J_URI']} (pid {server.pid()})" if s else "not running")
            return 0 if s else 1
    except Unavailable as exc:
        print(f"neo4j: cannot run here: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except RuntimeError as exc:
        print(f"neo4j: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

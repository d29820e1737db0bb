"""The command line starts fast: `ropa --help` and `ropa rules` import neither pandas nor the store.

(Speed is measured by `make bench`: "ropa --help (CPU)", "ropa rules (CPU)"; this pins down the cause.)
"""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "pyarrow", "ladybug", "networkx", "openpyxl")


@pytest.mark.parametrize("argv", [["--help"], ["rules"], ["check", "--help"]])
def test_light_commands_do_not_import_heavy_modules(argv):
    code = ("import sys\nfrom ropa.cli import main\n"
            "try:\n    main(%r)\nexcept SystemExit:\n    pass\n"
            "print('LOADED', *sorted(m for m in %r if m in sys.modules))" % (argv, HEAVY))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = out.stdout.strip().splitlines()[-1].split()[1:]
    assert loaded == [], f"ropa {' '.join(argv)} imported {loaded}"
    if argv == ["rules"]:
        assert "transfer_without_safeguard" in out.stdout and "privacy_shield_reliance" in out.stdout

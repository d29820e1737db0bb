"""The Python version the README promises is the one the project and its pinned packages need."""
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _floor(spec: str) -> tuple[int, int]:
    """The lowest minor version a ``Requires-Python`` spec admits, e.g. '>=3.11' -> (3, 11)."""
    lows = [tuple(int(x) for x in m.groups()) for m in re.finditer(r">=\s*(\d+)\.(\d+)", spec or "")]
    return max(lows, default=(3, 0))


def _pins() -> list[str]:
    names = []
    for req in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / req).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and "==" in line:
                name, rest = line.split("==", 1)
                marker = rest.split(";", 1)[1] if ";" in rest else ""
                if "python_version" not in marker and "platform" not in marker:
                    names.append(name.strip())
    return names


def test_readme_pyproject_and_makefile_state_one_python_floor():
    floor = _floor(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    readme = re.findall(r"Python (\d+)\.(\d+)\+", (ROOT / "README.md").read_text())
    assert readme and {tuple(map(int, v)) for v in readme} == {floor}
    assert f"sys.version_info < {floor}" in (ROOT / "Makefile").read_text()
    assert sys.version_info[:2] >= floor


def test_the_stated_floor_is_what_the_pinned_packages_need():
    """If a pinned package needs a newer Python than we state, the README's promise is false."""
    floor = _floor(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    needs = {name: _floor(metadata.metadata(name).get("Requires-Python")) for name in _pins()}
    assert max(needs.values()) == floor, needs

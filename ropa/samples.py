"""The bundled sample data."""
from __future__ import annotations

from pathlib import Path

from .model import RopaGraph

ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = ROOT / "data" / "samples"
SEED_REGISTER = SAMPLES_DIR / "seeds-register.csv"
EXAMPLE_REGISTER = SAMPLES_DIR / "clinic-example.csv"


def _read(path: Path) -> RopaGraph:
    from .formats.register import read_register
    with open(path, "rb") as fp:
        return read_register(fp, path.name)


def sample_graph() -> RopaGraph:
    """The RoPA built from the five seed privacy notices."""
    return _read(SEED_REGISTER)


def example_graph() -> RopaGraph:
    """The small clinic register of the worked example."""
    return _read(EXAMPLE_REGISTER)

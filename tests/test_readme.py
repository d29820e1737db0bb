"""The README is a front door: the two commands and the architecture map on its first screen, the map
naming every package and module of ropa/, and every docs/ page of this checkout linked."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIRST_SCREEN = "\n".join(README.splitlines()[:70])


def _map() -> str:
    return README.split("## Architecture", 1)[1].split("```", 2)[1]


def test_the_first_screen_gives_the_two_commands_and_the_architecture_map():
    assert "make run" in FIRST_SCREEN and "make test" in FIRST_SCREEN
    assert "## Architecture" in FIRST_SCREEN and "ropa/" in FIRST_SCREEN


def test_the_map_names_every_package_and_module():
    lib = ROOT / "ropa"
    names = {p.name for p in lib.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    names |= {p.name + "/" for p in lib.iterdir() if (p / "__init__.py").exists()}
    missing = sorted(n for n in names if not re.search(rf"(?<![\w/]){re.escape(n)}", _map()))
    assert not missing, f"the README's architecture map does not name {missing}"


def test_every_docs_page_is_linked_and_every_link_to_a_page_here_holds():
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", README))
    pages = {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"not linked from the README: {sorted(pages - linked)}"
    for own in ("cli", "reports", "formats", "rules", "durability"):
        assert f"docs/{own}.md" in pages


def test_the_cli_is_shown_with_the_venv_path_or_activation():
    section = README.split("## The command line", 1)[1].split("\n## ", 1)[0]
    assert ".venv/bin/ropa" in section and ". .venv/bin/activate" in section


def test_starting_from_an_empty_store_is_said_and_keeps_the_venv():
    section = README.split("## Starting from an empty store", 1)[1].split("\n## ", 1)[0]
    assert "ropa store reset" in section and "make reset" in section
    reset = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nreset:", 1)[1].split("\n\n", 1)[0]
    assert ".venv" not in reset.replace("$(BIN)", "") and "rm " not in reset and "store reset" in reset


def test_the_sample_notice_and_registers_pointed_to_exist():
    for path in re.findall(r"`((?:data|tests)/[\w/.-]+\.(?:csv|txt))`", README):
        assert (ROOT / path).is_file(), path


def test_the_extraction_figures_are_the_last_scored_held_out_round():
    """The README's extraction figures are the last held-out round's one scoring as docs/extraction.md
    reports it (its last bold "scored once" row), not a dev figure or an older round."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = re.search(r"On (\d+) real notices it\s+was not built on \(held-out round (\d+), scored once\): "
                     r"recall ([\d.]+), precision ([\d.]+), mechanism ([\d.]+), country ([\d.]+)", readme)
    assert said, "the README no longer states the held-out figures"
    docs = (ROOT / "docs" / "extraction.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \*\*round-(\d+) test, scored once at the end\*\*[^|]*\| (\d+) \| \*\*([\d.]+)\*\*[^|]*\|"
                      r"[^|]*\| \*\*([\d.]+)\*\*[^|]*\| \*\*([\d.]+)\*\*[^|]*\| \*\*([\d.]+)\*\*", docs, re.M)
    assert rows
    rnd, docs_n, recall, precision, country, mechanism = rows[-1]
    assert said.groups() == (docs_n, rnd, recall, precision, mechanism, country)

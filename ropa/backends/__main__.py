"""The child process that writes a new state of the embedded store: ``python ropa/backends/__main__.py DIR PID``
(run as a script by :meth:`ropa.backends.embedded.EmbeddedBackend._build`; see :mod:`ropa.backends.builder`)."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import builder  # noqa: E402 - a sibling module, not through the ropa package (that would import pandas)


def main(argv: list[str]) -> int:
    directory, parent = Path(argv[0]), int(argv[1])
    if not builder.die_with_parent(parent):
        return 4
    try:
        builder.build(directory, lambda line: print(line, flush=True))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises the typed error
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        os._exit(3)  # not through LadybugDB's destructors: they may end the process on a full disk
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

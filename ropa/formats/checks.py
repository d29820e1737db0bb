"""Checks every importer shares: things a file can say that are legal but suspicious."""
from __future__ import annotations

from collections import defaultdict

from ..errors import Problem


def subprocessor_cycles(engages: list[dict], names: dict[str, str], file: str) -> list[Problem]:
    """A warning for each sub-processor chain that loops back (A engages B engages A), per activity.

    The rules stop at 8 organisations, so a loop does not hang them; but a loop is
    almost always a mistake in the record (an engaged_by in the wrong column).

    >>> hops = [{"src": "a", "dst": "b", "activity": "x", "row": 3}, {"src": "b", "dst": "a", "activity": "x", "row": 4}]
    >>> [p.message for p in subprocessor_cycles(hops, {"a": "A", "b": "B"}, "r.csv")]
    ['sub-processor chain loops back: A engages B engages A (activity x)']
    """
    by_activity: dict[object, dict[str, list[tuple[str, object]]]] = defaultdict(lambda: defaultdict(list))
    for h in engages:
        by_activity[h.get("activity")][h["src"]].append((h["dst"], h.get("row")))
    problems: list[Problem] = []
    for activity, succ in by_activity.items():
        seen_cycles: set[frozenset] = set()
        state: dict[str, int] = {}  # 1 on the current path, 2 done

        for root in list(succ):
            if state.get(root):
                continue
            path: list[str] = [root]
            stack = [iter(succ.get(root, []))]
            state[root] = 1
            while stack:
                step = next(stack[-1], None)
                if step is None:
                    state[path.pop()] = 2
                    stack.pop()
                    continue
                nxt, row = step
                if state.get(nxt) == 1:
                    loop = path[path.index(nxt):] + [nxt]
                    key = frozenset(loop)
                    if key not in seen_cycles:
                        seen_cycles.add(key)
                        text = " engages ".join(names.get(n, n) for n in loop)
                        problems.append(Problem(file, row, "engaged_by", names.get(path[-1], path[-1]),
                                                f"sub-processor chain loops back: {text} (activity {activity})",
                                                "warning"))
                elif not state.get(nxt):
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(succ.get(nxt, [])))
    return problems

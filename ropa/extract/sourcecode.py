"""Lists of vendors written as source code: a JavaScript/TypeScript (or JSON) array of objects.

A web page's sub-processor list is often data in its source (``const subprocessors = [{ name: "Acme Inc.",
purpose: "Hosting", location: "United States" }, …]``) rendered by a loop; no table, no list appears in the
text. Such an array is read as the table it stands for: one ``| cell | cell |`` row per object, its keys as
the header, so the table reader (:mod:`.mentions`) reads it as it reads any sub-processor table, with the
same column roles (``data/extract/table_columns.csv``). Only an array whose keys name a recipient column and a
column about it (location, mechanism or purpose) is read so: a menu of links or a team page is not a list of
recipients. Layout only; nothing here knows a vendor.
"""
from __future__ import annotations

import re

__all__ = ["object_arrays", "yaml_sequences"]

_KEY = re.compile(r"""([A-Za-z_$][\w$]*)|"((?:[^"\\\n]|\\.){1,40})"|'((?:[^'\\\n]|\\.){1,40})'""")
_STRING = re.compile(r""""((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\$]|\\.|\$(?!\{))*)`""")
# a number, a literal, or a reference to a value defined elsewhere ("icon: Database", "icon: Icons.Cpu")
_SCALAR = re.compile(r"-?\d[\w.]*|true\b|false\b|null\b|undefined\b|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*(?![\w$.(])")
_GAP = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.S)
_OPEN = re.compile(r"\[(?=(?:\s+|//[^\n]*|/\*.*?\*/)*\{)", re.S)


class _Fail(Exception):
    pass


def _skip(text: str, i: int) -> int:
    return _GAP.match(text, i).end()


def _balanced(text: str, i: int) -> int:
    """The end of the bracketed value that opens at ``i`` (strings inside skipped)."""
    depth = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "\"'`":
            m = _STRING.match(text, i)
            if not m:
                raise _Fail
            i = m.end()
            continue
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _Fail


def _object(text: str, i: int) -> tuple[dict[str, tuple[str, int] | None], int]:
    """One object literal at ``i`` (its ``{``): {key: (string value, offset of the value) or None}, end."""
    fields: dict[str, tuple[str, int] | None] = {}
    i = _skip(text, i + 1)
    while True:
        if text.startswith("}", i):
            return fields, i + 1
        k = _KEY.match(text, i)
        if not k:
            raise _Fail
        key = next(g for g in k.groups() if g is not None)
        i = _skip(text, k.end())
        if not text.startswith(":", i):
            raise _Fail  # a shorthand property or a method: not data
        i = _skip(text, i + 1)
        s = _STRING.match(text, i)
        if s:
            g = next(n for n in (1, 2, 3) if s.group(n) is not None)
            fields[key] = (s.group(g), s.start(g))
            i = s.end()
        elif text[i:i + 1] in ("[", "{"):
            fields[key] = None
            i = _balanced(text, i)
        else:
            m = _SCALAR.match(text, i)
            if not m:
                raise _Fail
            fields[key] = None
            i = m.end()
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
        elif not text.startswith("}", i):
            raise _Fail


def _array(text: str, i: int) -> tuple[list[dict], int]:
    """The objects of an array literal at ``i`` (its ``[``) and the offset after its ``]``."""
    objects = []
    i = _skip(text, i + 1)
    while True:
        if text.startswith("]", i):
            return objects, i + 1
        if not text.startswith("{", i):
            raise _Fail
        obj, i = _object(text, i)
        objects.append(obj)
        i = _skip(text, i)
        if text.startswith(",", i):
            i = _skip(text, i + 1)
        elif not text.startswith("]", i):
            raise _Fail


def _header(key: str) -> str:
    """"companyName" -> "company Name", "data_center" -> "data center"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", key).replace("_", " ")


def _is_recipient_table(headers: list[str]) -> bool:
    from . import vocab  # (lazy: the reader does not need the vocabularies otherwise)
    roles = vocab.table_columns()

    def has(role: str, head: str) -> bool:
        return any(r == role and p.search(head) for r, p in roles)
    return any(has("name", h) for h in headers) and any(
        has(role, h) for h in headers for role in ("location", "mechanism", "purpose"))


def object_arrays(text: str) -> list[tuple[int, int, str, list[tuple[int, int]]]]:
    """Arrays of two or more objects with string fields that read as a recipient table: (start, end, rendered
    rows, one input span per rendered character). The rendered rows replace ``text[start:end]`` (the brackets).

    >>> src = 'const v = [\\n  { name: "Acme Inc.", location: "USA", n: 1 },\\n  { name: \\'Beta\\', location: "DE" },\\n];'
    >>> [(a, b, rows) for a, b, rows, _ in object_arrays(src)]
    [(10, 97, '\\n| name | location |\\n| Acme Inc. | USA |\\n| Beta | DE |\\n')]
    >>> object_arrays('const menu = [{ label: "Home", href: "/" }, { label: "Blog", href: "/blog" }];')
    []
    """
    out = []
    pos = 0
    while True:
        m = _OPEN.search(text, pos)
        if not m:
            return out
        try:
            objects, end = _array(text, m.start())
        except _Fail:
            pos = m.end()
            continue
        pos = end
        keys = [k for k in objects[0] if objects[0][k] is not None] if objects else []
        keys = [k for k in keys if all(o.get(k) is not None for o in objects)]
        if len(objects) < 2 or not keys or not _is_recipient_table([_header(k) for k in keys]):
            continue
        rendered, spans = _render(objects, keys, m.start(), end)
        out.append((m.start(), end, rendered, spans))


# a key naming the legal entity and one naming the service it runs: the row's recipient is the service, its entity
# in brackets ("Microsoft Clarity (Microsoft Corporation)"), as a table's "Service (Entity)" cell reads
_ENTITY_KEY = re.compile(r"(?i)^(?:name|entity|company|legal[ _]?(?:name|entity)|vendor)$")
_SERVICE_KEY = re.compile(r"(?i)^(?:service|product|tool)(?:[ _]?name)?$")


def _render(objects: list[dict], keys: list[str], start: int, end: int) -> tuple[str, list[tuple[int, int]]]:
    """``| key | key |`` and one row per object, with one input span per rendered character."""
    chars: list[str] = []
    spans: list[tuple[int, int]] = []

    def emit(s: str, at: int, step: bool = False) -> None:
        for k, ch in enumerate(s):
            chars.append(ch)
            spans.append((at + k, at + k + 1) if step else (at, at + 1))

    entity = next((k for k in keys if _ENTITY_KEY.match(k)), None)
    service = next((k for k in keys if _SERVICE_KEY.match(k)), None) if entity else None
    emit("\n|", start)
    for k in keys:
        emit(" " + _header(k) + " |", start)
    for obj in objects:
        emit("\n|", start)
        for k in keys:
            value, at = obj[k]
            emit(" ", at)
            if k == entity and service and obj[service][0].strip() and value.strip() \
                    and obj[service][0].strip().casefold() != value.strip().casefold():
                sv, sat = obj[service]
                emit(sv.strip().replace("|", "/"), sat + len(sv) - len(sv.lstrip()), step=True)
                emit(" (", at)
                emit(value.strip().replace("|", "/"), at + len(value) - len(value.lstrip()), step=True)
                emit(")", at + len(value))
            elif value.strip():
                emit(value.replace("\n", " ").replace("|", "/"), at, step=True)
            else:
                emit("-", at)
            emit(" |", at + len(value))
    emit("\n", end - 1)
    return "".join(chars), spans


_YAML_ITEM = re.compile(r"^([ \t]*)-[ \t]+([A-Za-z_][\w-]*):(?:[ \t]+(.*?))?[ \t]*$")
_YAML_FIELD = re.compile(r"^([ \t]*)([A-Za-z_][\w-]*):(?:[ \t]+(.*?))?[ \t]*$")


def _yaml_value(line: str, m: re.Match, group: int, base: int) -> tuple[str, int] | None:
    """A plain or quoted one-line scalar (its text and offset); None for a block scalar, a nested value or an
    anchor."""
    raw = m.group(group)
    if raw is None or raw[:1] in ("|", ">", "&", "*", "[", "{"):
        return None if raw is not None else ("", base + m.end(group - 1) + 1)
    at = base + m.start(group)
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return raw[1:-1], at + 1
    raw = re.sub(r"[ \t]+#.*$", "", raw)  # a comment after the value
    return raw, at


def yaml_sequences(text: str) -> list[tuple[int, int, str, list[tuple[int, int]]]]:
    """Lists of two or more mappings in a YAML data file (a Jekyll ``_data/subprocessors.yml``) that read as a
    recipient table, as :func:`object_arrays` gives arrays: (start, end, rendered rows, input spans).

    >>> src = "vendors:\\n  - name: Acme Inc.\\n    location: USA\\n  - name: Beta\\n    location: DE\\nnext: 1\\n"
    >>> [(a, b, rows) for a, b, rows, _ in yaml_sequences(src)]
    [(9, 78, '\\n| name | location |\\n| Acme Inc. | USA |\\n| Beta | DE |\\n')]
    """
    out = []
    lines = text.split("\n")
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        m = _YAML_ITEM.match(lines[i])
        if not m:
            i += 1
            continue
        indent = len(m.group(1))
        objects: list[dict] = []
        start = offsets[i]
        last = i
        j = i
        while j < len(lines):
            line = lines[j]
            if not line.strip() or line.lstrip().startswith("#"):
                j += 1
                continue
            item = _YAML_ITEM.match(line)
            if item and len(item.group(1)) == indent:
                objects.append({item.group(2): _yaml_value(line, item, 3, offsets[j])})
                last = j
                j += 1
                continue
            field = _YAML_FIELD.match(line)
            lead = len(line) - len(line.lstrip())
            if objects and lead > indent:
                if field and lead == indent + 2:
                    objects[-1][field.group(2)] = _yaml_value(line, field, 3, offsets[j])
                else:
                    objects[-1].setdefault("", None)  # (a nested value or a wrapped line: read as no field)
                last = j
                j += 1
                continue
            break
        i = max(j, i + 1)
        keys = [k for k in objects[0] if k and objects[0][k] is not None] if objects else []
        keys = [k for k in keys if all(o.get(k) is not None for o in objects)]
        if len(objects) < 2 or not keys or not _is_recipient_table([_header(k) for k in keys]):
            continue
        end = offsets[last] + len(lines[last])
        rendered, spans = _render(objects, keys, start, end)
        out.append((start, end, rendered, spans))
    return out

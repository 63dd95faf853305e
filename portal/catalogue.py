"""The portal's translation catalogue in Python alone (docs/supplier-portal.md#languages): a
reader of gettext .po files and a writer of the compiled .mo, so that compiling needs nothing
beyond Python (``manage.py compile_portal_messages``) and the i18n tests can check that the
committed .mo is current. Only extracting new strings (``makemessages``) needs GNU gettext."""

from __future__ import annotations

import ast
import struct
from dataclasses import dataclass, field


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    fuzzy: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid

    @property
    def translated(self) -> bool:
        return not self.fuzzy and bool(self.msgstr) and all(self.msgstr.values())


def parse(text: str) -> list[Entry]:
    entries, entry, target = [], Entry(), None
    for raw in text.splitlines() + [""]:
        line = raw.strip()
        if not line:
            if target is not None:
                entries.append(entry)
            entry, target = Entry(), None
            continue
        if line.startswith("#,") and "fuzzy" in line:
            entry.fuzzy = True
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
        else:
            value = ast.literal_eval(rest)
            target = keyword
        if target in ("msgid", "msgctxt", "msgid_plural"):
            setattr(entry, target, (getattr(entry, target) or "") + value)
        elif target == "msgstr":
            entry.msgstr[0] = entry.msgstr.get(0, "") + value
        elif target and target.startswith("msgstr["):
            n = int(target[7:-1])
            entry.msgstr[n] = entry.msgstr.get(n, "") + value
    return [e for e in entries if e.msgid]


def header(text: str) -> str:
    """The catalogue's header (the msgstr of the empty msgid): charset and plural forms."""
    entry, target = Entry(), None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or not line:
            if target == "msgstr":
                break
            continue
        keyword, _, rest = line.partition(" ")
        if not line.startswith('"'):
            target = keyword
            line = rest
        if target == "msgstr":
            entry.msgstr[0] = entry.msgstr.get(0, "") + ast.literal_eval(line)
        elif target == "msgid" and ast.literal_eval(line):
            return ""  # the first entry is no header
    return entry.msgstr.get(0, "")


def compile_mo(text: str) -> bytes:
    """The GNU .mo file of a .po text (what ``msgfmt`` writes, without the hash table, which
    readers do not need): translated entries only, fuzzy ones left out as ``msgfmt`` does."""
    messages = {b"": header(text).encode()}
    for e in parse(text):
        if not e.translated:
            continue
        key = e.msgid if e.msgid_plural is None else f"{e.msgid}\x00{e.msgid_plural}"
        if e.msgctxt is not None:
            key = f"{e.msgctxt}\x04{key}"
        value = "\x00".join(e.msgstr[n] for n in sorted(e.msgstr))
        messages[key.encode()] = value.encode()
    keys = sorted(messages)
    ids = b"".join(k + b"\x00" for k in keys)
    strs = b"".join(messages[k] + b"\x00" for k in keys)
    start = 7 * 4 + 16 * len(keys)  # the header and the two tables come first
    table_ids, table_strs, id_at, str_at = [], [], start, start + len(ids)
    for k in keys:
        table_ids += [len(k), id_at]
        table_strs += [len(messages[k]), str_at]
        id_at, str_at = id_at + len(k) + 1, str_at + len(messages[k]) + 1
    head = struct.pack("<7I", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    return head + struct.pack(f"<{4 * len(keys)}I", *table_ids, *table_strs) + ids + strs

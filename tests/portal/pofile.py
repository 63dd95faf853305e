"""A small reader of gettext .po files (what the i18n tests need; no extra dependency)."""

from __future__ import annotations

import ast
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

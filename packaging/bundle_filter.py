"""Trimming PyInstaller's table of contents (TOC) to what Otokui uses; imported by otokui.spec.

PyInstaller collects whole Qt plugin folders and every library they link to. We
drop the plugins and data we never use, then keep only the shared libraries still
reachable (through link-time imports) from what remains, so e.g. GTK, which only
the GTK theme plugin needed, leaves with that plugin.
"""
from __future__ import annotations

import fnmatch
import os
import re
import sys

from PyInstaller.depend import bindepend

# (dest name in the bundle, source path, type code), PyInstaller's TOC entry.
Entry = tuple[str, str, str]


def _normal(name: str) -> str:
    return name.replace("\\", "/").lower()


def drop(toc: list[Entry], patterns: list[str],
         unless: list[str] = ()) -> tuple[list[Entry], list[Entry]]:
    """Split ``toc`` into (kept, dropped): dropped matches an fnmatch pattern in ``patterns``
    and none in ``unless``, on the lower-case dest name with ``/`` separators."""
    kept, dropped = [], []
    for entry in toc:
        name = _normal(entry[0])
        hit = (any(fnmatch.fnmatch(name, p) for p in patterns)
               and not any(fnmatch.fnmatch(name, p) for p in unless))
        (dropped if hit else kept).append(entry)
    return kept, dropped


def is_root(entry: Entry) -> bool:
    """Binaries loaded by Python or Qt themselves, not just linked to by another binary.
    A Python extension counts by its name too: hooks collecting a package's ``lib*.so``
    files (pyarrow's) hand ``pyarrow/lib.cpython-….so`` over as a plain library."""
    name = _normal(entry[0])
    base = os.path.basename(name)
    return (entry[2] == "EXTENSION" or "/plugins/" in name
            or base.startswith(("python3", "libpython3"))
            or re.search(r"\.(cpython-[^.]+|abi3)\.so$|\.pyd$", base) is not None)


def reachable(binaries: list[Entry], loaded: list[str] = ()) -> tuple[list[Entry], list[Entry]]:
    """Split ``binaries`` into (linked from a root or a root, unreachable); dest names
    matching a pattern in ``loaded`` are roots too (libraries opened by path at run
    time, which nothing links to)."""
    by_base: dict[str, list[Entry]] = {}
    for entry in binaries:
        by_base.setdefault(os.path.basename(_normal(entry[0])), []).append(entry)
    seen: set[str] = set()
    todo = [e for e in binaries
            if is_root(e) or any(fnmatch.fnmatch(_normal(e[0]), p) for p in loaded)]
    while todo:
        entry = todo.pop()
        if entry[1] in seen:
            continue
        seen.add(entry[1])
        for name, path in bindepend.get_imports(entry[1]):
            base = os.path.basename(_normal(path or name))
            for target in by_base.get(base, []) + by_base.get(_normal(os.path.basename(name)), []):
                if target[1] not in seen:
                    todo.append(target)
    kept = [e for e in binaries if e[1] in seen]
    return kept, [e for e in binaries if e[1] not in seen]


def broken_links(kept: list[Entry], dropped: list[Entry]) -> list[tuple[str, str]]:
    """(kept binary, dropped library it links to) pairs: drops that would break loading."""
    gone = {os.path.basename(_normal(e[0])) for e in dropped}
    broken = []
    for entry in kept:
        for name, path in bindepend.get_imports(entry[1]):
            base = os.path.basename(_normal(path or name))
            if base in gone:
                broken.append((entry[0], base))
    return broken


def size_mb(toc: list[Entry]) -> float:
    return sum(os.path.getsize(e[1]) for e in toc if os.path.isfile(e[1])) / 1e6


def strip_debug(binaries: list[Entry], patterns: list[str], folder: str) -> list[Entry]:
    """Point entries matching ``patterns`` at copies in ``folder`` without debug symbols.

    Only for files that come straight from a compiler (Python's own runtime): wheels'
    libraries were rewritten by auditwheel, and stripping those breaks loading them.
    Needs GNU ``strip``; without it (Windows, macOS) the entries stay as they are.
    """
    import shutil
    import subprocess

    tool = shutil.which("strip")
    if tool is None or sys.platform in ("win32", "darwin"):
        return binaries
    result = []
    for entry in binaries:
        name = _normal(entry[0])
        if any(fnmatch.fnmatch(name, p) for p in patterns):
            copy = os.path.join(folder, "stripped", entry[0])
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            shutil.copy2(entry[1], copy)
            subprocess.run([tool, "--strip-debug", copy], check=True)
            entry = (entry[0], copy, entry[2])
        result.append(entry)
    return result

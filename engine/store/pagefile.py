"""Backups as compressed pages: a full copy, or the pages changed since the previous
backup (a chain of them on a full one).

A database of five years (half a gigabyte) changes about a fifth of its pages in a
monthly import, and its pages compress about 3×; storing only the changed pages,
compressed, makes a backup a few per cent of the database instead of a whole copy.

One backup file (``.otkb``)::

    MAGIC | u32 length + JSON header | u64 length + zstd(the pages stored)
          | u64 length + zstd(their page numbers, u32 each) | u64 length + zstd(hash of every page)

The header holds the page size and count, a random ``id`` and, for a changes-only
backup, the file name and id of its ``parent`` (beside it in the same folder). A
full backup stores every page and no page numbers. The hashes (of every page of
the database at that moment) let the next backup find the pages that changed
without reading this one's pages. zstd's checksums catch a damaged file.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import zstandard

from engine.errors import OtokuiError

MAGIC = b"OTKBAK01"
SUFFIX = ".otkb"
HASH_BYTES = 16
LEVEL = 3
_BLOCK_PAGES = 256


@dataclass(frozen=True)
class Header:
    page_size: int
    page_count: int
    id: str
    parent: str | None = None          # file name, beside this one
    parent_id: str | None = None

    @property
    def full(self) -> bool:
        return self.parent is None


class BackupDamagedError(OtokuiError):
    """A backup file that cannot be read back (cut short, changed, its parent gone)."""


def page_hash(page: bytes) -> bytes:
    # SHA-256 (hardware-assisted on current CPUs): twice as fast here as BLAKE2b.
    return hashlib.sha256(page).digest()[:HASH_BYTES]


def read_pages(path: Path, page_size: int, page_count: int) -> Iterator[bytes]:
    """The first ``page_count`` pages of a database file, in order."""
    with open(path, "rb") as source:
        left = page_count
        while left:
            block = source.read(page_size * min(left, _BLOCK_PAGES))
            if not block:
                raise OSError(f"{path.name}: shorter than its {page_count} pages")
            for start in range(0, len(block), page_size):
                yield block[start:start + page_size]
            left -= len(block) // page_size


def write(target: BinaryIO, pages: Iterable[bytes], page_size: int, page_count: int,
          parent: tuple[str, str, bytes] | None, backup_id: str | None = None) -> Header:
    """Write a backup of ``pages`` (all of the database, in order) to ``target``.
    ``parent``: (file name, id, page hashes) of the previous backup, whose unchanged
    pages are then left out; None for a full backup."""
    header = Header(page_size, page_count, backup_id or uuid.uuid4().hex,
                    None if parent is None else parent[0], None if parent is None else parent[1])
    old = parent[2] if parent is not None else b""
    old_count = len(old) // HASH_BYTES
    hashes = bytearray()
    numbers = bytearray()
    compressor = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
    _put_json(target, header)
    pages_at = _placeholder(target)
    start = target.tell()
    writer = compressor.stream_writer(target, closefd=False)
    for number, page in enumerate(pages, start=1):
        digest = page_hash(page)
        hashes += digest
        if parent is not None and number <= old_count and \
                old[(number - 1) * HASH_BYTES:number * HASH_BYTES] == digest:
            continue
        if parent is not None:
            numbers += struct.pack("<I", number)
        writer.write(page)
    writer.flush(zstandard.FLUSH_FRAME)
    _fill(target, pages_at, target.tell() - start)
    if len(hashes) != page_count * HASH_BYTES:
        raise OSError(f"expected {page_count} pages, read {len(hashes) // HASH_BYTES}")
    _append(target, compressor.compress(bytes(numbers)) if parent is not None else b"",
            with_length=True)
    _append(target, compressor.compress(bytes(hashes)), with_length=True)
    return header


def is_page_backup(path: Path) -> bool:
    """Whether the file is one of these (whatever its name), not an SQLite file."""
    with open(path, "rb") as source:
        return source.read(len(MAGIC)) == MAGIC


def read_header(path: Path) -> Header:
    with open(path, "rb") as source:
        return _get_json(source, path)


def read_hashes(path: Path) -> bytes:
    """The hash of every page of the database this backup holds."""
    with open(path, "rb") as source:
        header = _get_json(source, path)
        for _ in range(2):
            source.seek(_length(source, path), os.SEEK_CUR)
        data = _decompress(source.read(_length(source, path)), path)
    if len(data) != header.page_count * HASH_BYTES:
        raise BackupDamagedError(f"{path.name}: バックアップが壊れています（ハッシュ）。")
    return data


def chain(path: Path) -> list[Path]:
    """The backup and the ones it builds on, the full one first."""
    links = [path]
    header = read_header(path)
    while header.parent is not None:
        parent = path.parent / header.parent
        try:
            parent_header = read_header(parent)
        except FileNotFoundError:
            raise BackupDamagedError(
                f"{path.name}: このバックアップの元になるバックアップ {header.parent} が"
                "ありません。") from None
        if parent_header.id != header.parent_id:
            raise BackupDamagedError(
                f"{path.name}: このバックアップの元になるバックアップ {header.parent} が"
                "書き換えられています。") from None
        links.append(parent)
        header = parent_header
    return links[::-1]


def materialize(path: Path, dest: Path) -> None:
    """Write the database a backup holds to ``dest`` (a plain rollback-journal file)."""
    links = chain(path)
    with open(dest, "wb") as out:
        header = None
        for link in links:
            with open(link, "rb") as source:
                header = _get_json(source, link)
                pages_length = _length(source, link)
                pages_at = source.tell()
                source.seek(pages_length, os.SEEK_CUR)
                numbers_length = _length(source, link)
                numbers = _decompress(source.read(numbers_length), link) if numbers_length else b""
                source.seek(pages_at)
                reader = zstandard.ZstdDecompressor().stream_reader(
                    _Limited(source, pages_length), read_across_frames=False)
                try:
                    if header.full:
                        _copy_pages(reader, out, header.page_size, header.page_count, link)
                    else:
                        for (number,) in struct.iter_unpack("<I", numbers):
                            page = _read_exact(reader, header.page_size, link)
                            out.seek((number - 1) * header.page_size)
                            out.write(page)
                except zstandard.ZstdError as exc:
                    raise BackupDamagedError(f"{link.name}: バックアップが壊れています（{exc}）。") \
                        from None
        out.truncate(header.page_size * header.page_count)
        out.flush()
        # Every page as it was when the backup was taken, or the chain is not sound.
        expected = read_hashes(path)
        for number, page in enumerate(read_pages(dest, header.page_size, header.page_count)):
            if page_hash(page) != expected[number * HASH_BYTES:(number + 1) * HASH_BYTES]:
                raise BackupDamagedError(
                    f"{path.name}: バックアップが壊れています（ページ {number + 1} が一致しません）。")
        # The live file is in WAL mode; the copy is a plain file (format bytes 18/19 = 1).
        out.seek(18)
        out.write(b"\x01\x01")


def _copy_pages(reader, out, page_size: int, count: int, path: Path) -> None:
    left = count * page_size
    while left:
        block = reader.read(min(left, page_size * _BLOCK_PAGES))
        if not block:
            raise BackupDamagedError(f"{path.name}: バックアップが途中で切れています。")
        out.write(block)
        left -= len(block)


def _read_exact(reader, size: int, path: Path) -> bytes:
    data = b""
    while len(data) < size:
        more = reader.read(size - len(data))
        if not more:
            raise BackupDamagedError(f"{path.name}: バックアップが途中で切れています。")
        data += more
    return data


class _Limited:
    """At most ``length`` bytes of a file, for zstd's stream reader."""

    def __init__(self, source: BinaryIO, length: int):
        self.source, self.left = source, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.source.read(size)
        self.left -= len(data)
        return data


def _decompress(data: bytes, path: Path) -> bytes:
    try:
        return zstandard.ZstdDecompressor().decompress(data)
    except zstandard.ZstdError as exc:
        raise BackupDamagedError(f"{path.name}: バックアップが壊れています（{exc}）。") from None


def _put_json(target: BinaryIO, header: Header) -> None:
    raw = json.dumps(header.__dict__).encode("utf-8")
    target.write(MAGIC + struct.pack("<I", len(raw)) + raw)


def _get_json(source: BinaryIO, path: Path) -> Header:
    start = source.read(len(MAGIC) + 4)
    if len(start) < len(MAGIC) + 4 or not start.startswith(MAGIC):
        raise BackupDamagedError(f"{path.name}: Otokuiのバックアップではないか、壊れています。")
    raw = source.read(struct.unpack("<I", start[len(MAGIC):])[0])
    try:
        return Header(**json.loads(raw.decode("utf-8")))
    except (ValueError, TypeError) as exc:
        raise BackupDamagedError(f"{path.name}: バックアップが壊れています（{exc}）。") from None


def _placeholder(target: BinaryIO) -> int:
    at = target.tell()
    target.write(b"\0" * 8)
    return at


def _fill(target: BinaryIO, at: int, length: int) -> None:
    end = target.tell()
    target.seek(at)
    target.write(struct.pack("<Q", length))
    target.seek(end)


def _append(target: BinaryIO, data: bytes, with_length: bool = False) -> int:
    if with_length:
        target.write(struct.pack("<Q", len(data)))
    target.write(data)
    return len(data)


def _length(source: BinaryIO, path: Path) -> int:
    raw = source.read(8)
    if len(raw) < 8:
        raise BackupDamagedError(f"{path.name}: バックアップが途中で切れています。")
    return struct.unpack("<Q", raw)[0]

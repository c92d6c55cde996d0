"""A model set as one bounded, compressed archive of bytes, and back: what the database keeps
(danvan.opinion.model_store), so that a set trained on one machine is used on every other.

The archive is an xz-compressed tar of the set's directory (`classifiers.save_set`): JSON and
.npy files only. Reading one never unpickles and never executes anything: members are read as
plain bytes (no `extractall`), only regular files under short, plain names are accepted (no
links, no absolute or parent paths), the archive and its unpacked size are bounded, and the
files are then loaded with `classifiers.load_set` (numpy with allow_pickle=False). Whether the
bytes are the ones a trusted process wrote is the store's concern (a digest and a signature).
"""

from __future__ import annotations

import io
import re
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from danvan.nlp.classifiers import ClassifierError, ModelSet, load_set, save_set

# A lexical set trained on the seed and real corpora packs to a few MB; with the encoder's heads
# a little more. The bounds leave room for larger corpora and refuse anything absurd.
MAX_PACKED = 64 * 1024 * 1024
MAX_UNPACKED = 512 * 1024 * 1024
MAX_MEMBERS = 400
MAX_DEPTH = 3  # set.json, task/file, heads/task/file
_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,79}")
_CHUNK = 1 << 20


def pack(model_set: ModelSet, *, info: dict[str, Any] | None = None) -> bytes:
    """The set's files (as `save_set` writes them) in one compressed archive."""
    with tempfile.TemporaryDirectory(prefix="danvan-set-") as tmp:
        directory = Path(tmp) / "set"
        save_set(model_set, directory, info=info)
        return pack_directory(directory)


def pack_directory(directory: Path) -> bytes:
    """A set directory already on disk (a legacy DANVAN_ANALYSIS_MODELS_DIR folder) packed."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz", preset=3) as tar:
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            name = path.relative_to(directory).as_posix()
            _check_name(name)
            data = path.read_bytes()
            member = tarfile.TarInfo(name)
            member.size, member.mode, member.mtime = len(data), 0o644, 0
            tar.addfile(member, io.BytesIO(data))
    packed = buffer.getvalue()
    if len(packed) > MAX_PACKED:
        raise ClassifierError(f"model set archive of {len(packed)} bytes exceeds {MAX_PACKED}")
    return packed


def unpack(data: bytes) -> ModelSet:
    """The set held by an archive `pack` wrote; ClassifierError when it is not one."""
    if len(data) > MAX_PACKED:
        raise ClassifierError(f"model set archive of {len(data)} bytes exceeds {MAX_PACKED}")
    with tempfile.TemporaryDirectory(prefix="danvan-set-") as tmp:
        root = Path(tmp) / "set"
        root.mkdir()
        try:
            _extract(data, root)
        except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
            raise ClassifierError(f"not a model set archive ({exc})") from None
        if not (root / "set.json").is_file():
            raise ClassifierError("not a model set archive (no set.json)")
        return load_set(root)


def _check_name(name: str) -> list[str]:
    parts = name.split("/")
    if len(parts) > MAX_DEPTH or not all(_PART.fullmatch(p) for p in parts):
        raise ClassifierError(f"model set archive: refused member name {name[:100]!r}")
    return parts


def _extract(data: bytes, root: Path) -> None:
    total = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:xz") as tar:
        for count, member in enumerate(tar, start=1):
            if count > MAX_MEMBERS:
                raise ClassifierError(f"model set archive: more than {MAX_MEMBERS} members")
            if member.isdir():
                _check_name(member.name)
                continue
            if not member.isfile():  # links, devices, fifos: never in a set
                raise ClassifierError(f"model set archive: {member.name[:100]!r} is not a file")
            parts = _check_name(member.name)
            total += member.size
            if total > MAX_UNPACKED:
                raise ClassifierError(f"model set archive unpacks to more than {MAX_UNPACKED}")
            source = tar.extractfile(member)
            if source is None:
                raise ClassifierError(f"model set archive: {member.name[:100]!r} unreadable")
            target = root.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            left = member.size
            with target.open("xb") as out:
                while left > 0:
                    chunk = source.read(min(_CHUNK, left))
                    if not chunk:
                        raise ClassifierError(f"model set archive: {member.name[:100]!r} cut")
                    out.write(chunk)
                    left -= len(chunk)

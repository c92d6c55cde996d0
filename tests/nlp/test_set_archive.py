"""A model set's archive (what the database keeps) is read as plain bytes: links, paths outside
the set, oversized or damaged archives are refused before anything is loaded."""

from __future__ import annotations

import io
import lzma
import tarfile

import pytest

from danvan.nlp import set_archive
from danvan.nlp.classifiers import ClassifierError


def _archive(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


def _file(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ([(_file("../set.json"), b"{}")], "refused member name"),
        ([(_file("/etc/set.json"), b"{}")], "refused member name"),
        ([(_file("topic/.hidden"), b"x")], "refused member name"),
        ([(_file("a/b/c/d.npy"), b"x")], "refused member name"),
        ([(_link("set.json", "/etc/passwd"), b"")], "is not a file"),
        ([(_link("set.json", "topic/x", tarfile.LNKTYPE), b"")], "is not a file"),
        ([(_file("set.json"), b"{}"), (_file("set.json"), b"{}")], "not a model set archive"),
        ([(_file("topic/weights.npy"), b"x")], "no set.json"),
        ([(_file("set.json"), b'{"format": 1}')], "not a model directory"),
    ],
)
def test_an_archive_that_is_not_a_plain_set_is_refused(
    members: list[tuple[tarfile.TarInfo, bytes]], why: str
) -> None:
    with pytest.raises(ClassifierError, match=why):
        set_archive.unpack(_archive(*members))


def test_damaged_or_oversized_archives_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ClassifierError, match="not a model set archive"):
        set_archive.unpack(b"not an archive at all")
    with pytest.raises(ClassifierError, match="not a model set archive"):
        set_archive.unpack(lzma.compress(b"x" * 1000))
    many = _archive(*[(_file(f"f{i}.npy"), b"x") for i in range(5)])
    monkeypatch.setattr(set_archive, "MAX_MEMBERS", 4)
    with pytest.raises(ClassifierError, match="more than 4 members"):
        set_archive.unpack(many)
    monkeypatch.setattr(set_archive, "MAX_UNPACKED", 10)
    with pytest.raises(ClassifierError, match="unpacks to more than 10"):
        set_archive.unpack(_archive((_file("set.json"), b"{" * 11)))
    monkeypatch.setattr(set_archive, "MAX_PACKED", 10)
    with pytest.raises(ClassifierError, match="exceeds 10"):
        set_archive.unpack(many)

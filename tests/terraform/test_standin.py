"""The stand-in's own logic, without terraform: planned unknowns and the archive it builds."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pytest

from tests.terraform.standin import archive
from tests.terraform.standin.unknowns import planned_state

UNKNOWN = object()
OPTIONAL_COMPUTED = {"optional": True, "computed": True}
BLOCK = {
    "attributes": {"id": {"computed": True}, "name": {"required": True}, "tier": OPTIONAL_COMPUTED,
                   "note": {"optional": True}},
    "block_types": {
        "rule": {"nesting_mode": "list",
                 "block": {"attributes": {"state": OPTIONAL_COMPUTED, "age": {"optional": True}}}},
        "spec": {"nesting_mode": "single", "block": {"attributes": {"uri": {"computed": True}}}},
    },
}


def test_unset_computed_values_are_unknown_at_every_depth() -> None:
    proposed = {"id": None, "name": "n", "tier": None, "note": None,
                "rule": [{"state": None, "age": 3}, {"state": "LIVE", "age": None}], "spec": {"uri": None}}
    assert planned_state(BLOCK, proposed, UNKNOWN) == {
        "id": UNKNOWN, "name": "n", "tier": UNKNOWN, "note": None,
        "rule": [{"state": UNKNOWN, "age": 3}, {"state": "LIVE", "age": None}], "spec": {"uri": UNKNOWN}}


def test_configured_and_absent_values_are_kept() -> None:
    proposed = {"id": None, "name": "n", "tier": "gold", "note": "x", "rule": [], "spec": None}
    assert planned_state(BLOCK, proposed, UNKNOWN)["tier"] == "gold"
    assert planned_state(BLOCK, proposed, UNKNOWN)["spec"] is None
    assert planned_state(BLOCK, None, UNKNOWN) is None


def test_archive_of_source_blocks_is_a_real_zip_with_its_real_hashes(tmp_path: Path) -> None:
    output = tmp_path / "out" / "source.zip"
    state = archive.build({"type": "zip", "output_path": str(output), "output_file_mode": "0644",
                           "source": [{"filename": "b.py", "content": "print('b')\n"},
                                      {"filename": "a/x.txt", "content": "é\n"}]})
    data = output.read_bytes()
    assert state["output_size"] == len(data)
    assert state["output_md5"] == hashlib.md5(data).hexdigest()  # noqa: S324 - the provider's field
    assert state["output_base64sha256"] == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert state["id"] == state["output_sha"] == hashlib.sha1(data).hexdigest()  # noqa: S324
    with zipfile.ZipFile(output) as zipped:
        assert zipped.namelist() == ["a/x.txt", "b.py"]
        assert zipped.read("a/x.txt") == "é\n".encode()
        info = zipped.getinfo("b.py")
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644


def test_same_content_same_archive(tmp_path: Path) -> None:
    config = {"type": "zip", "source_content": "hello", "source_content_filename": "h.txt"}
    first = archive.build({**config, "output_path": str(tmp_path / "1.zip")})
    second = archive.build({**config, "output_path": str(tmp_path / "2.zip")})
    assert first["output_sha256"] == second["output_sha256"]


def test_directory_with_excludes(tmp_path: Path) -> None:
    (tmp_path / "src" / "skip").mkdir(parents=True)
    (tmp_path / "src" / "keep.py").write_text("k")
    (tmp_path / "src" / "skip" / "x.py").write_text("x")
    (tmp_path / "src" / "notes.md").write_text("n")
    archive.build({"type": "zip", "source_dir": str(tmp_path / "src"), "excludes": ["skip", "*.md"],
                   "output_path": str(tmp_path / "d.zip")})
    with zipfile.ZipFile(tmp_path / "d.zip") as zipped:
        assert zipped.namelist() == ["keep.py"]


@pytest.mark.parametrize(("config", "message"), [
    ({"type": "zip"}, "exactly one of"),
    ({"type": "zip", "source_file": "a", "source_dir": "b"}, "exactly one of"),
    ({"type": "tar.gz", "source_content": "x", "source_content_filename": "x"}, "not built by the stand-in"),
    ({"type": "zip", "source_file": "/nonexistent/file"}, "missing file"),
    ({"type": "zip", "source_content": "x", "source_content_filename": "x", "output_file_mode": "rw"},
     "output_file_mode"),
])
def test_configurations_the_provider_refuses(tmp_path: Path, config: dict, message: str) -> None:
    with pytest.raises(archive.ArchiveError, match=message):
        archive.build({**config, "output_path": str(tmp_path / "x.zip")})

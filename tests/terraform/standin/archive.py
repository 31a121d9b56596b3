"""archive_file as hashicorp/archive 2.8.0 builds it: the real zip, with its real sizes and hashes.

Pure Python with no dependency of the stand-in's venv, so the main test venv can test it too.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Go's zip writer clamps the zero time the provider sets to the first DOS date.
_DOS_EPOCH = (1980, 1, 1, 0, 0, 0)
# The mode bits of a regular file in a zip's Unix external attributes.
_REGULAR_FILE = 0o100000


class ArchiveError(ValueError):
    """A configuration the provider refuses, with the provider's reason."""


def _file_mode(text: str | None) -> int | None:
    """output_file_mode as Go's strconv.ParseUint(text, 0, 32) reads it: "0644" is octal."""
    if not text:
        return None
    try:
        if re.fullmatch(r"0[0-7]+", text):
            return int(text, 8)
        return int(text, 0)
    except ValueError:
        raise ArchiveError(f"error parsing output_file_mode value: {text}") from None


def _excluded(relative: str, excludes: list[str]) -> bool:
    """The provider's exclude rule: an exact relative path, or a pattern whose * matches anything."""
    for pattern in excludes:
        if not pattern:
            continue
        if pattern == relative:
            return True
        if "*" in pattern and re.match("^" + ".*".join(map(re.escape, pattern.split("*"))), relative):
            return True
    return False


def _directory(root: Path, excludes: list[str], skip_symlink_dirs: bool) -> dict[str, bytes]:
    if not root.is_dir():
        raise ArchiveError(f"could not archive missing directory: {root}")
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=not skip_symlink_dirs):
        base = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not _excluded((base / d).relative_to(root).as_posix(),
                                                                   excludes))
        for name in sorted(filenames):
            relative = (base / name).relative_to(root).as_posix()
            if not _excluded(relative, excludes):
                found[relative] = (base / name).read_bytes()
    return found


def _contents(config: Mapping[str, Any]) -> dict[str, bytes]:
    """The archive's files by name, from whichever one source the configuration gives."""
    given = [key for key in ("source", "source_content_filename", "source_file", "source_dir")
             if config.get(key)]
    if len(given) != 1:
        raise ArchiveError("exactly one of source, source_content_filename (with source_content), "
                           f"source_file or source_dir must be set; found {given or 'none'}")
    if config.get("source"):
        return {block["filename"]: block["content"].encode() for block in config["source"]}
    if config.get("source_content_filename"):
        if config.get("source_content") is None:
            raise ArchiveError("source_content_filename needs source_content")
        return {config["source_content_filename"]: config["source_content"].encode()}
    if config.get("source_file"):
        path = Path(config["source_file"])
        if not path.is_file():
            raise ArchiveError(f"could not archive missing file: {path}")
        return {path.name: path.read_bytes()}
    return _directory(Path(config["source_dir"]), list(config.get("excludes") or []),
                      bool(config.get("exclude_symlink_directories")))


def build(config: Mapping[str, Any]) -> dict[str, Any]:
    """Writes the archive at output_path; returns the data source's state (config plus results)."""
    if config["type"] != "zip":
        raise ArchiveError(f"archive type {config['type']!r} is not built by the stand-in: use zip")
    mode = _file_mode(config.get("output_file_mode"))
    output = Path(config["output_path"])
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(_contents(config).items()):
            entry = zipfile.ZipInfo(name.replace(os.sep, "/"), date_time=_DOS_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                entry.create_system = 3  # Unix, as Go's FileHeader.SetMode records it
                entry.external_attr = (_REGULAR_FILE | mode) << 16
            archive.writestr(entry, content)
    data = output.read_bytes()
    sha1 = hashlib.sha1(data).hexdigest()  # noqa: S324 - the provider's output_sha, not a security use
    return {
        **config,
        "id": sha1,
        "output_sha": sha1,
        "output_md5": hashlib.md5(data).hexdigest(),  # noqa: S324 - the provider's output_md5
        "output_sha256": hashlib.sha256(data).hexdigest(),
        "output_base64sha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "output_sha512": hashlib.sha512(data).hexdigest(),
        "output_base64sha512": base64.b64encode(hashlib.sha512(data).digest()).decode(),
        "output_size": len(data),
    }

"""Prints parsed deployment files as JSON; runs inside a tool venv, never in the project's.

    python dump.py hcl DIR     every *.tf under DIR, by path relative to DIR (python-hcl2)
    python dump.py yaml FILE   one YAML file (ruamel.yaml, from check-jsonschema's venv)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def dump_hcl(root: Path) -> dict[str, object]:
    import hcl2

    options = hcl2.SerializationOptions(
        strip_string_quotes=True, preserve_heredocs=False, with_comments=False, explicit_blocks=False
    )
    parsed = {}
    for path in sorted(root.rglob("*.tf")):
        if ".terraform" not in path.parts:
            text = path.read_text(encoding="utf-8")
            parsed[path.relative_to(root).as_posix()] = hcl2.loads(text, serialization_options=options)
    return parsed


def dump_yaml(path: Path) -> object:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    kind, target = sys.argv[1], Path(sys.argv[2])
    json.dump(dump_hcl(target) if kind == "hcl" else dump_yaml(target), sys.stdout, default=str)

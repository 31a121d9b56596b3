"""The inputs and outputs tables of terraform/README.md, generated from variables.tf and outputs.tf.

    .venv/bin/python -m tests.terraform.docs    rewrites the tables in place

test_module checks that the README holds exactly what this renders.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tests.terraform.deployment import MODULE, Module, module

README = MODULE / "README.md"
START, END = "<!-- module:start -->", "<!-- module:end -->"


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().replace("|", "\\|")


def _type(body: Mapping[str, Any]) -> str:
    text = body["type"]
    match = re.fullmatch(r"\$\{(.*)\}", text, re.DOTALL)
    return f"`{_cell(match.group(1) if match else text)}`"


def _default(body: Mapping[str, Any]) -> str:
    if "default" not in body:
        return "n/a"
    value = body["default"]
    if isinstance(value, str) and value.startswith("${"):
        return f"`{_cell(value[2:-1])}`"
    return f"`{_cell(json.dumps(value))}`"


def render(found: Module) -> str:
    """Both tables, between their markers."""
    lines = [START, "## Inputs", "", "| Name | Description | Type | Default | Required |",
             "|------|-------------|------|---------|:--------:|"]
    variables = found.variables()
    for name in sorted(variables):
        body = variables[name]
        required = "yes" if "default" not in body else "no"
        cells = [name, _cell(body["description"]), _type(body), _default(body), required]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Outputs", "", "| Name | Description |", "|------|-------------|"]
    outputs = found.outputs()
    for name in sorted(outputs):
        lines.append(f"| {name} | {_cell(outputs[name]['description'])} |")
    lines.append(END)
    return "\n".join(lines)


def current() -> str:
    """The tables as the README holds them now."""
    text = README.read_text(encoding="utf-8")
    start, end = text.index(START), text.index(END) + len(END)
    return text[start:end]


def write() -> None:
    text = README.read_text(encoding="utf-8")
    README.write_text(text.replace(current(), render(module())), encoding="utf-8")


if __name__ == "__main__":
    write()

"""The README keeps up with the code: the configuration table from settings, the layout from the tree."""

from __future__ import annotations

import re
from pathlib import Path

from function.settings import Settings, settings_doc

README = Path(__file__).resolve().parents[2] / "README.md"


def settings_table() -> str:
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for env, default, doc in settings_doc():
        rows.append(f"| `{env}` | {f'`{default}`' if default else '—'} | {doc} |")
    return "\n".join(rows)


def test_readme_configuration_table_matches_the_settings_module() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", text, re.S)
    assert block, "README lacks the settings markers"
    assert block.group(1) == settings_table(), "regenerate the table:\n" + settings_table()


def test_readme_layout_lists_every_folder_of_the_package() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"^## Layout\n\n```\n(.*?)\n```", text, re.S | re.M)
    assert block, "README lacks the layout block"
    listed = set(re.findall(r"^  ([a-z_]+)/ ", block.group(1), re.M))
    package = README.parent / "function"
    folders = {path.name for path in package.iterdir() if (path / "__init__.py").is_file()}
    assert listed == folders


def test_readme_layout_names_every_top_level_folder_and_every_module_beside_the_wings() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"^## Layout\n\n```\n(.*?)\n```", text, re.S | re.M)
    assert block, "README lacks the layout block"
    listed = set(re.findall(r"^([a-z_]+)/", block.group(1), re.M))
    top = {path.name for path in README.parent.iterdir()
           if path.is_dir() and not path.name.startswith((".", "__"))}
    assert listed == top
    modules = {path.name for path in (README.parent / "function").glob("*.py") if path.stem != "__init__"}
    assert {name for name in modules if name not in block.group(1)} == set()


def test_the_readme_quotes_the_awaited_deadline_s_default_wherever_it_names_a_value() -> None:
    # It said 5 s in three places after the default became 2.5 s.
    text = README.read_text(encoding="utf-8")
    default = f"{Settings.from_env({}, require_account=False).await_deadline_s:g} s"
    quoted = re.findall(r"PINTEREST_AWAIT_DEADLINE_S`[,)]? \(?([0-9.]+ s)\)?", text)
    assert len(quoted) >= 3
    assert set(quoted) == {default}

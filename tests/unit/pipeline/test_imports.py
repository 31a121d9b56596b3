"""The data path stands alone: its import loads no adapter, settings, SQLite or Google client, nor a file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PIPELINE = sorted(f"function.pipeline.{p.stem}" for p in (ROOT / "function" / "pipeline").glob("*.py")
                  if p.stem != "__init__")
# Run in a fresh interpreter: what this one has imported says nothing. Modules are those the
# import added (site's .pth files pre-create the `google` namespace); files opened are recorded
# from the audit hook, but for the modules' own sources and caches, which any import opens.
PROBE = """
import json, sys
before = set(sys.modules)
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
for name in sys.argv[1:]:
    __import__(name)
print(json.dumps({"modules": sorted(set(sys.modules) - before), "opened": opened}))
"""


def test_importing_the_pipeline_loads_nothing_but_the_pipeline_errors_and_limits() -> None:
    found = subprocess.run([sys.executable, "-c", PROBE, *PIPELINE], cwd=ROOT, capture_output=True,
                           text=True, check=True)
    loaded = json.loads(found.stdout)
    ours = [name for name in loaded["modules"] if name == "function" or name.startswith("function.")]
    assert [name for name in ours if not name.startswith("function.pipeline")] == \
        ["function", "function.errors", "function.limits"]
    assert not [name for name in loaded["modules"] if name in ("sqlite3", "requests", "flask")
                or name.startswith(("google", "_sqlite3"))]
    assert [path for path in loaded["opened"]
            if not path.endswith((".py", ".pyc")) and not Path(path).is_dir()] == []

"""Profile of the pure data path on the benchmark mix (pyinstrument), to find its hotspots.

`python -m bench.profile_datapath` prints the call tree; the full text goes to
.local/bench/profile.txt.
"""

from __future__ import annotations

import sys
import time

from bench import workload
from bench.common import ROOT
from bench.datapath import our_builder

OUT = ROOT / ".local" / "bench" / "profile.txt"


def profile(seconds: float = 3.0) -> str:
    from pyinstrument import Profiler

    bodies = workload.bodies(600)
    build = our_builder()
    for body in bodies:
        build(body)
    profiler = Profiler(interval=0.0002)
    deadline = time.monotonic() + seconds
    profiler.start()
    while time.monotonic() < deadline:
        for body in bodies:
            build(body)
    profiler.stop()
    return profiler.output_text(unicode=True, color=False, show_all=False)


def main() -> int:
    text = profile(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

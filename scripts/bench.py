"""The project's benchmark entry point: ``python scripts/bench.py [section ...] [--quick]``.

Each section is a module ``scripts/benchlib/<section>.py`` exposing ``run(quick: bool) -> None``;
it prints its own lines. Figures are ratios measured side by side in one run (medians of repeated
runs), never single absolute times: the machine is shared and absolute times mean little.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent


def available_sections() -> list[str]:
    """Section names: every module in ``scripts/benchlib`` not starting with an underscore."""
    return sorted(p.stem for p in (SCRIPTS / "benchlib").glob("*.py") if not p.stem.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    """Run the named sections (all of them when none is named)."""
    sections = available_sections()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", metavar="section", help=f"one of: {', '.join(sections)}")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller payloads")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sections) - set(sections))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; available: {', '.join(sections)}")
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    for name in args.sections or sections:
        print(f"== {name}")
        module = importlib.import_module(f"benchlib.{name}")
        module.run(args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Regenerate imageapi's generated files, or check that the committed ones are current.

    python scripts/codegen.py                  # stage 1 (pages → schema) and stage 2 (schema → code)
    python scripts/codegen.py --check          # exit 1 listing every committed output that differs
    python scripts/codegen.py --seeds DIR      # read the API reference pages from DIR
    python scripts/codegen.py --from-openapi openapi.json [--out schema.json]

Stage 1 reads the API reference pages (default ``<repo>/../shared/seeds``) into the normalized
schema ``imageapi/schema/image.openshift.io-v1.json``. Stage 2 calls each emitter module that
exists (``imageapi_codegen.emit_models``, ``imageapi_codegen.emit_openapi``). Everything is rendered
in memory before anything is written, so bad input never leaves a half-written output.

Exit status: 0 success (or up to date), 1 ``--check`` found stale outputs, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from imageapi_codegen import docs, normalize, output  # noqa: E402 (the library sits next to the script)

REPO = SCRIPTS.parent
SCHEMA_PATH = "imageapi/schema/image.openshift.io-v1.json"
META_TYPES_PATH = "scripts/imageapi_codegen/meta_types.json"
EMITTERS = ("emit_models", "emit_openapi")


class CodegenError(Exception):
    """Bad input: the message names the file (and section) at fault."""


@dataclass
class Generation:
    """What one run rendered in memory, before anything is written."""

    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # said on stderr
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    stage1_checked: bool = True


def _load_emitter(name: str) -> ModuleType | None:
    module_name = f"imageapi_codegen.{name}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            return None  # not written yet: skip it
        raise


def load_meta_types(root: Path) -> dict[str, Any]:
    """The hand-written meta types (``{"types": {...}}``), empty when the file is absent."""
    path = root / META_TYPES_PATH
    if not path.is_file():
        return {"types": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CodegenError(f"{path}: not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise CodegenError(f"{path}: expected a JSON object")
    return data


def generate(root: Path, seeds: Path | None, *, allow_missing_seeds: bool) -> Generation:
    """Render every generated file in memory: stage 1 from ``seeds``, then each stage-2 emitter.

    When ``seeds`` is absent and ``allow_missing_seeds`` is true (``--check`` on a fresh clone),
    stage 2 runs from the committed schema and stage 1 is reported as not checked.
    """
    result = Generation()
    if seeds is not None and seeds.is_dir():
        try:
            pages = docs.parse_seeds(seeds)
        except docs.PageParseError as error:
            raise CodegenError(f"{seeds / error.file}: {error.section}: {error.message}") from error
        if not pages:
            raise CodegenError(f"{seeds}: no pages (*.txt) found")
        meta_types = load_meta_types(root)
        schema = normalize.normalize(pages, external_types=set(meta_types.get("types", {})))
        # The package ships this one schema file: the fake cluster reads merge keys and known fields of
        # the meta types (ObjectMeta, …) from it, so they travel with the group's types.
        schema["metaTypes"] = meta_types.get("types", {})
        result.files[SCHEMA_PATH] = output.dump_json(schema)
        result.diagnostics = schema["diagnostics"]
    elif allow_missing_seeds:
        committed = root / SCHEMA_PATH
        if not committed.is_file():
            raise CodegenError(f"{committed}: missing, and no seeds folder to regenerate it from")
        schema = output.load_json(committed.read_text(encoding="utf-8"))
        result.stage1_checked = False
        result.notes.append(f"seeds folder {seeds} not found: stage 1 (pages → schema) was not checked")
    else:
        raise CodegenError(f"seeds folder not found: {seeds} (pass --seeds DIR)")

    meta_types = load_meta_types(root)  # stage 2 reads it too, also when stage 1 is skipped
    for name in EMITTERS:
        module = _load_emitter(name)
        if module is None:
            result.notes.append(f"imageapi_codegen.{name} does not exist yet: skipped")
            continue
        render: Callable[[Any, Any], dict[str, str]] = module.render
        try:
            rendered = render(schema, meta_types)
        except Exception as error:
            raise CodegenError(
                f"imageapi_codegen.{name}.render failed: {type(error).__name__}: {error}"
            ) from error
        result.files.update(rendered)
    return result


def _print_diagnostics(diagnostics: Sequence[dict[str, Any]], verbose: bool) -> None:
    quiet = 0
    for item in diagnostics:
        if item["severity"] == "info" and not verbose:
            quiet += 1
            continue
        print(f"{item['severity']}: {item['file']}: {item['section']}: {item['message']}", file=sys.stderr)
    if quiet:
        print(
            f"({quiet} info diagnostics, server-semantics overrides among them: --verbose shows them)",
            file=sys.stderr,
        )


def _from_openapi(path: Path, out: Path | None) -> int:
    try:
        reader = importlib.import_module("imageapi_codegen.openapi_reader")
    except ModuleNotFoundError as error:
        raise CodegenError("imageapi_codegen.openapi_reader is not available") from error
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CodegenError(f"{path}: cannot read the OpenAPI document: {error}") from error
    try:
        schema = reader.read_openapi(document)
    except Exception as error:
        raise CodegenError(f"{path}: {type(error).__name__}: {error}") from error
    text = output.dump_json(schema)
    if out is None:
        sys.stdout.write(text)
    else:
        out = out.resolve()
        output.write_files(out.parent, {out.name: text})
        print(f"wrote {out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line (stdlib argparse)."""
    parser = argparse.ArgumentParser(
        prog="python scripts/codegen.py",
        description="Regenerate imageapi's normalized schema, models, resource table and OpenAPI document.",
    )
    parser.add_argument(
        "--seeds",
        type=Path,
        default=None,
        help="folder of API reference pages (default: <repo>/../shared/seeds)",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a committed output differs"
    )
    parser.add_argument(
        "--from-openapi",
        type=Path,
        metavar="FILE",
        help="print the normalized schema of an OpenAPI v2/v3 JSON document",
    )
    parser.add_argument(
        "--out", type=Path, help="with --from-openapi: write the schema to this file instead of stdout"
    )
    parser.add_argument("--root", type=Path, default=REPO, help=argparse.SUPPRESS)  # tests point it at a copy
    parser.add_argument("-v", "--verbose", action="store_true", help="also print info diagnostics")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    root: Path = args.root.resolve()
    try:
        if args.from_openapi is not None:
            return _from_openapi(args.from_openapi, args.out)
        if args.out is not None:
            raise CodegenError("--out only goes with --from-openapi")
        seeds = args.seeds if args.seeds is not None else root.parent / "shared" / "seeds"
        if args.seeds is not None and not args.seeds.is_dir():
            raise CodegenError(f"seeds folder not found: {args.seeds}")
        generation = generate(root, seeds, allow_missing_seeds=args.check)
    except CodegenError as error:
        print(f"error: {error}; nothing written", file=sys.stderr)
        return 2
    for note in generation.notes:
        print(note, file=sys.stderr)
    _print_diagnostics(generation.diagnostics, args.verbose)
    if args.check:
        stale = output.stale_files(root, generation.files)
        for relative in stale:
            state = "missing" if not (root / relative).exists() else "differs"
            print(f"stale: {relative} ({state})", file=sys.stderr)
        if stale:
            print(
                f"{len(stale)} generated file(s) out of date: run python scripts/codegen.py", file=sys.stderr
            )
            return 1
        checked = "all" if generation.stage1_checked else "stage-2"
        print(f"{checked} generated files up to date ({len(generation.files)} checked)", file=sys.stderr)
        return 0
    changed = output.write_files(root, generation.files)
    for relative in changed:
        print(f"wrote {relative}", file=sys.stderr)
    if not changed:
        print(f"all {len(generation.files)} generated files already up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

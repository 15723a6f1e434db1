#!/usr/bin/env python3
"""Regenerate imageapi's generated files, or check that the committed ones are current.

    python scripts/codegen.py                  # stage 1 (pages → schema) and stage 2 (schema → code)
    python scripts/codegen.py --check          # exit 1 listing every committed output that differs
    python scripts/codegen.py --seeds DIR      # read the API reference pages from DIR
    python scripts/codegen.py --from-openapi openapi.json [--out DIR]
    python scripts/codegen.py --from-cluster [--kubeconfig F] [--context C] [--out DIR]
    python scripts/codegen.py --from-openapi openapi.json --print-schema

Stage 1 reads one input (the API reference pages, by default ``<repo>/../shared/seeds``; an OpenAPI
v2/v3 document; or a live cluster's ``/openapi/v3/apis/image.openshift.io/v1``) into the normalized
schema ``imageapi/schema/image.openshift.io-v1.json`` (see :mod:`imageapi_codegen.sources`). ``--out
DIR`` writes into another checkout, or, for any other folder, a standalone models package named after
it that a user imports in place of the bundled models. Stage 2 calls each emitter module that
exists (``imageapi_codegen.emit_models``, ``imageapi_codegen.emit_openapi``). Everything is rendered
in memory before anything is written, so bad input never leaves a half-written output.

Exit status: 0 success (or up to date), 1 ``--check`` found stale outputs, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import keyword
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPTS = Path(__file__).resolve().parent
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from imageapi_codegen import emit_models, output, sources  # noqa: E402 (the library sits next to the script)

REPO = SCRIPTS.parent
SCHEMA_PATH = "imageapi/schema/image.openshift.io-v1.json"
META_TYPES_PATH = "scripts/imageapi_codegen/meta_types.json"
GROUP_TYPES_PATH = "scripts/imageapi_codegen/group_types.json"
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


def load_meta_types(root: Path, relative: str = META_TYPES_PATH) -> dict[str, Any]:
    """The hand-written meta types (``{"types": {...}}``), empty when the file is absent.

    ``relative`` names another file of the same form (``group_types.json``).
    """
    path = root / relative
    if not path.is_file():
        return {"types": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise CodegenError(f"{path}: not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise CodegenError(f"{path}: expected a JSON object")
    return data


def generate(root: Path, stage1: sources.Stage1 | None, *, package: str = emit_models.MODELS_PACKAGE) -> Generation:
    """Render every generated file in memory from ``stage1``, then each stage-2 emitter.

    ``stage1`` None means no input could be read (``--check`` on a fresh clone without the pages):
    stage 2 then runs from the committed schema, and stage 1 is reported as not checked.
    """
    result = Generation()
    if stage1 is not None:
        schema, meta_types = stage1.schema, stage1.meta_types
        result.files[SCHEMA_PATH] = output.dump_json(schema)
        result.diagnostics = schema["diagnostics"]
    else:
        committed = root / SCHEMA_PATH
        if not committed.is_file():
            raise CodegenError(f"{committed}: missing, and no seeds folder to regenerate it from")
        schema = output.load_json(committed.read_text(encoding="utf-8"))
        meta_types = load_meta_types(root)
        result.stage1_checked = False
    for name in EMITTERS:
        module = _load_emitter(name)
        if module is None:
            result.notes.append(f"imageapi_codegen.{name} does not exist yet: skipped")
            continue
        render: Callable[..., dict[str, str]] = module.render
        try:
            rendered = render(schema, meta_types, package=package) if name == "emit_models" else render(
                schema, meta_types
            )
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
        where = "".join(f"{part}: " for part in (item.get("file"), item.get("section")) if part)
        print(f"{item['severity']}: {where}{item['message']}", file=sys.stderr)
    if quiet:
        print(
            f"({quiet} info diagnostics, server-semantics overrides among them: --verbose shows them)",
            file=sys.stderr,
        )


def build_parser() -> argparse.ArgumentParser:
    """The command line (stdlib argparse)."""
    parser = argparse.ArgumentParser(
        prog="python scripts/codegen.py",
        description="Regenerate imageapi's normalized schema, models, resource table and OpenAPI document.",
    )
    inputs = parser.add_mutually_exclusive_group()
    inputs.add_argument(
        "--seeds",
        type=Path,
        default=None,
        help="read the API reference pages from this folder (the default input: <repo>/../shared/seeds)",
    )
    inputs.add_argument(
        "--from-openapi", type=Path, metavar="FILE", help="read an OpenAPI v2/v3 document (JSON or YAML)"
    )
    inputs.add_argument(
        "--from-cluster",
        action="store_true",
        help="fetch /openapi/v3/apis/image.openshift.io/v1 and discovery from a cluster (kubeconfig as kubectl finds it)",
    )
    parser.add_argument("--kubeconfig", help="with --from-cluster: the kubeconfig file")
    parser.add_argument("--context", help="with --from-cluster: the kubeconfig context")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write here instead of this checkout: another imageapi checkout is regenerated in place; "
        "any other folder becomes a standalone models package named after it",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a generated output differs"
    )
    parser.add_argument(
        "--print-schema", action="store_true", help="print the normalized schema on stdout; write nothing"
    )
    parser.add_argument("--root", type=Path, default=REPO, help=argparse.SUPPRESS)  # tests point it at a copy
    parser.add_argument("-v", "--verbose", action="store_true", help="also print info diagnostics")
    return parser


def _stage1(args: argparse.Namespace, root: Path) -> sources.Stage1 | None:
    """Read the chosen input; None when the default pages are absent and ``--check`` may do without."""
    if args.from_openapi is not None:
        return sources.read_openapi_file(args.from_openapi)
    if args.from_cluster:
        return sources.fetch_cluster(args.kubeconfig, args.context)
    if args.kubeconfig or args.context:
        raise CodegenError("--kubeconfig and --context only go with --from-cluster")
    seeds: Path = args.seeds if args.seeds is not None else root.parent / "shared" / "seeds"
    if not seeds.is_dir():
        if args.seeds is None and args.check:
            return None
        raise CodegenError(f"seeds folder not found: {seeds} (pass --seeds DIR, --from-openapi or --from-cluster)")
    return read_pages(root, seeds)


def read_pages(root: Path, seeds: Path) -> sources.Stage1:
    """Stage 1 from the reference pages in ``seeds``, with the hand-written meta and group types of ``root``."""
    return sources.from_pages(seeds, load_meta_types(root), load_meta_types(root, GROUP_TYPES_PATH))


def _is_checkout(folder: Path) -> bool:
    return (folder / "imageapi" / "models" / "_base.py").is_file()


def _standalone_package(folder: Path, files: dict[str, str]) -> dict[str, str]:
    """The files of a models package at ``folder``: models, lazy index and the normalized schema."""
    placed = {
        emit_models.OUTPUT_PATHS["meta"]: "meta.py",
        emit_models.OUTPUT_PATHS["group"]: "image_v1.py",
        emit_models.OUTPUT_PATHS["index"]: "__init__.py",
        SCHEMA_PATH: "schema.json",
    }
    return {placed[path]: text for path, text in files.items() if path in placed}


def _output_target(args: argparse.Namespace, root: Path) -> tuple[Path, str | None]:
    """Where to write, and the package name when that is a standalone package (else None)."""
    if args.out is None:
        return root, None
    out: Path = args.out.resolve()
    if _is_checkout(out):
        return out, None
    if not out.name.isidentifier() or keyword.iskeyword(out.name):
        raise CodegenError(f"--out {args.out}: the folder name {out.name!r} must be a Python package name")
    return out, out.name


def _run_check(root: Path, generation: Generation) -> int:
    stale = output.stale_files(root, generation.files)
    for relative in stale:
        state = "missing" if not (root / relative).exists() else "differs"
        print(f"stale: {relative} ({state})", file=sys.stderr)
    if stale:
        print(f"{len(stale)} generated file(s) out of date: run python scripts/codegen.py", file=sys.stderr)
        return 1
    if generation.stage1_checked:
        print(f"all generated files up to date ({len(generation.files)} checked)", file=sys.stderr)
    else:
        print(
            f"checked: the committed schema → models, resource table and OpenAPI document "
            f"({len(generation.files)} files, up to date); not checked: the reference pages → schema "
            "(the pages are not in this checkout: pass --seeds DIR to check that stage too)",
            file=sys.stderr,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    root: Path = args.root.resolve()
    try:
        target, package = _output_target(args, root)
        stage1 = _stage1(args, root)
        if args.print_schema:
            if stage1 is None:
                raise CodegenError("no input to print a schema from")
            sys.stdout.write(output.dump_json(stage1.schema))
            return 0
        if stage1 is not None and not stage1.schema["resources"] and package is None:
            raise CodegenError(
                f"{stage1.source}: describes no resources (no paths of {sources.GROUP}/{sources.VERSION}): "
                "regenerating a checkout from it would empty the client's resource table; "
                "write a models package with --out DIR instead"
            )
        generation = generate(root, stage1, package=package or emit_models.MODELS_PACKAGE)
    except (CodegenError, sources.SourceError) as error:
        print(f"error: {error}; nothing written", file=sys.stderr)
        return 2
    if stage1 is None:
        print("seeds folder not found: stage 1 (pages → schema) was not checked", file=sys.stderr)
    for note in generation.notes:
        print(note, file=sys.stderr)
    _print_diagnostics(generation.diagnostics, args.verbose)
    files = _standalone_package(target, generation.files) if package else generation.files
    if args.check:
        return _run_check(target, Generation(files, generation.notes, [], generation.stage1_checked))
    changed = output.write_files(target, files)
    for relative in changed:
        print(f"wrote {target / relative if args.out else relative}", file=sys.stderr)
    if not changed:
        print(f"all {len(files)} generated files already up to date", file=sys.stderr)
    elif package:
        print(
            f"models package {package!r} written to {target}: put {target.parent} on sys.path and "
            f"`from {package} import ImageStream`",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

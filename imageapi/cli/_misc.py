"""``imageapi version`` and ``imageapi completion bash|zsh``."""

from __future__ import annotations

import argparse
from typing import Any


def version_text() -> str:
    """``imageapi 0.1.0 (image.openshift.io/v1)``."""
    from .. import __version__

    return f"imageapi {__version__} (image.openshift.io/v1)"


def _version(args: argparse.Namespace) -> int:
    print(version_text())
    return 0


def _words(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, list[str]]]:
    """The verbs, and for each verb its flags, read from the parser itself (so completion never drifts)."""
    verbs: list[str] = []
    flags: dict[str, list[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                verbs.append(name)
                flags[name] = sorted(opt for a in sub._actions for opt in a.option_strings)
                nested, _ = _words(sub)
                flags[name] += nested
    return verbs, flags


def completion_script(shell: str, parser: argparse.ArgumentParser) -> str:
    """A completion script for ``shell`` (bash or zsh) covering verbs, flags and resource names."""
    from ._common import resources

    verbs, flags = _words(parser)
    names = sorted({name for name in resources() if "." not in name and name.islower()})
    cases = "\n".join(f"        {verb}) words=\"{' '.join(flags[verb])}\" ;;" for verb in verbs)
    function = f"""_imageapi_complete() {{
    local cur verb words
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    verb="${{COMP_WORDS[1]}}"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=( $(compgen -W "{' '.join(verbs)} --version --help" -- "$cur") )
        return
    fi
    case "$verb" in
{cases}
        *) words="" ;;
    esac
    case "$verb" in
        get|describe|watch) words="$words {' '.join(names)}" ;;
    esac
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}}
"""
    if shell == "bash":
        return function + "complete -F _imageapi_complete imageapi\n"
    # zsh runs the bash function through bashcompinit, as kubectl's zsh script once did.
    return ("#compdef imageapi\nautoload -U +X bashcompinit && bashcompinit\n" + function
            + "complete -F _imageapi_complete imageapi\n")


def register_misc(subparsers: Any) -> None:
    """Add ``version`` and ``completion``."""
    parser = subparsers.add_parser("version", help="print the imageapi version")
    parser.set_defaults(func=_version)
    parser = subparsers.add_parser(
        "completion", help="print a shell completion script: source <(imageapi completion bash)",
        description="Print a completion script. bash: source <(imageapi completion bash); "
                    "zsh: imageapi completion zsh > \"${fpath[1]}/_imageapi\".")
    parser.add_argument("shell", choices=("bash", "zsh"))
    parser.set_defaults(func=None)  # filled in by main: the script is read from the whole parser

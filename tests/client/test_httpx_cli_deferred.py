"""``import imageapi`` keeps httpx's command-line client (click, rich, pygments) from loading."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True)


def test_talking_to_a_cluster_does_not_load_httpx_cli_or_its_dependencies() -> None:
    _run(
        "import sys\n"
        "from imageapi import Client\n"
        "client = Client(base_url='http://127.0.0.1:9', namespace='default')\n"
        "client.images\n"
        "import httpx\n"
        "assert type(sys.modules['httpx._main']).__name__ == '_DeferredCli'\n"
        "for name in ('click', 'pygments', 'rich'):\n"
        "    assert name not in sys.modules, name\n"
    )


def test_httpx_cli_still_works_in_the_same_process() -> None:
    # Its attributes load the real module (when its dependencies are installed), and main runs it.
    _run(
        "import sys, importlib.util\n"
        "import imageapi.errors, httpx\n"
        "has_cli = importlib.util.find_spec('click') is not None\n"
        "try:\n"
        "    import httpx._main as cli\n"
        "    cli.print_response\n"
        "except ImportError:\n"
        "    assert not has_cli\n"
        "else:\n"
        "    assert has_cli and type(sys.modules['httpx._main']).__name__ == 'module'\n"
        "    try:\n"
        "        httpx.main(['--help'])\n"
        "    except SystemExit as exit:\n"
        "        assert exit.code == 0\n"
    )


def test_a_program_that_imported_httpx_first_is_left_alone() -> None:
    _run(
        "import sys, httpx\n"
        "before = sys.modules.get('httpx._main')\n"
        "import imageapi\n"
        "assert sys.modules.get('httpx._main') is before\n"
    )

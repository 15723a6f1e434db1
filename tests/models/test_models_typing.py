"""mypy --strict accepts typical user code against the models, and catches a typical mistake."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USER_CODE = textwrap.dedent(
    """
    from datetime import datetime

    from imageapi.models import ImageStream, ImageStreamSpec, ObjectMeta, ObjectReference, TagReference

    stream = ImageStream(metadata=ObjectMeta(name="x", namespace="ns"))
    validated = ImageStream.model_validate({"metadata": {"name": "x"}})
    decoded = ImageStream.from_json(b'{"metadata": {"name": "x"}}')
    spec = ImageStreamSpec(tags=[TagReference(name="latest", from_=ObjectReference(kind="DockerImage", name="b"))])
    name: str | None = stream.metadata.name if stream.metadata else None
    created: datetime | None = decoded.metadata.creation_timestamp if decoded.metadata else None
    for tag in spec.tags or []:
        reference: ObjectReference | None = tag.from_
    wire: dict[str, object] = validated.to_dict()
    text: str = stream.to_json()
    """
)


def _mypy(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    probe = tmp_path / "probe.py"
    probe.write_text(code, encoding="utf-8")
    # Run from the repo so pyproject's mypy settings (the pydantic plugin) apply.
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(probe)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_typical_user_code_type_checks(tmp_path: Path) -> None:
    result = _mypy(tmp_path, USER_CODE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_optional_fields_are_typed_optional(tmp_path: Path) -> None:
    result = _mypy(tmp_path, USER_CODE + "\nbad: str = stream.metadata.name  # metadata may be None\n")
    assert result.returncode != 0
    assert "union-attr" in result.stdout or "Item \"None\"" in result.stdout, result.stdout

"""A naive pydantic model set of the same schema, for comparison in the ``models`` section.

Same generated declarations as ``imageapi.models`` (the emitter's output, executed against a
different base), but written the way a first attempt usually is: a Python validator on every
time field (a wrapper trying pydantic's parser, then dateutil) and byte field (base64), ``model_post_init`` on every object to record
apiVersion/kind, and plain ``BaseModel.model_validate_json`` with no hold on full GC passes.
"""

from __future__ import annotations

import base64
import json
import sys
import types
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from imageapi.models._base import parse_time

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "imageapi" / "schema" / "image.openshift.io-v1.json"
META_TYPES = ROOT / "scripts" / "imageapi_codegen" / "meta_types.json"


def _bytes(value: Any) -> Any:
    return base64.b64decode(value) if isinstance(value, str) else value


class NaiveModel(BaseModel):
    """Aliases and extras like ApiModel, but per-object Python hooks and no GC hold."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    __api_version__ = None
    __kind__ = None

    def model_post_init(self, context: Any, /) -> None:
        if self.__kind__ is not None:
            self.__pydantic_fields_set__.update(("api_version", "kind"))


def _lenient_time(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return parse_time(value)


# The usual first attempt at lenient times: a Python wrapper around pydantic's parser on every field.
NaiveTime = Annotated[datetime, WrapValidator(_lenient_time)]
NaiveBytes = Annotated[bytes, BeforeValidator(_bytes)]


def build_naive_models() -> dict[str, Any]:
    """Execute the emitter's model declarations against ``NaiveModel``; returns name → class."""
    from imageapi_codegen import emit_models

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    meta_types = json.loads(META_TYPES.read_text(encoding="utf-8"))
    rendered = emit_models.render(schema, meta_types)
    # A real (registered) module, so pydantic can resolve the classes' references by module name.
    module = types.ModuleType("benchlib._naive_generated")
    sys.modules[module.__name__] = module
    module.__dict__.update({"ApiModel": NaiveModel, "Time": NaiveTime, "Base64Bytes": NaiveBytes, "Field": Field})
    for path in (emit_models.OUTPUT_PATHS["meta"], emit_models.OUTPUT_PATHS["group"]):
        # Drop the module's own imports of the real base; the namespace above provides the names.
        source = "\n".join(line for line in rendered[path].splitlines() if not line.startswith("from imageapi"))
        exec(compile(source, f"<naive {path}>", "exec"), module.__dict__)
    return module.__dict__

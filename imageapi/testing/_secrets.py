"""``imagestreams/{name}/secrets``: the namespace's docker pull secrets as a SecretList (§5.8)."""

from __future__ import annotations

from .._resource_info import API_VERSION
from ._contracts import JSON, RequestContext
from ._lists import decode_continue, encode_continue
from ._selectors import parse_field_selector, parse_label_selector
from ._status import bad_request
from ._virtual import DOCKER_SECRET_TYPES, EXCLUDE_SECRET_ANNOTATION

SECRET_FIELDS = ("metadata.name", "metadata.namespace", "type")


def secret_field_value(secret: JSON, field_path: str) -> str:
    """The field selectors core Secrets support (name, namespace, type)."""
    meta = secret.get("metadata") or {}
    if field_path in ("metadata.name", "metadata.namespace"):
        return str(meta.get(field_path.split(".", 1)[1]) or "")
    if field_path == "type":
        return str(secret.get("type") or "")
    raise bad_request(f'field label not supported: {field_path}')


class SecretsHandler:
    """GET ``imagestreams/{name}/secrets``: the stream name is ignored; ListOptions pass through."""

    def get(self, ctx: RequestContext, namespace: str, name: str) -> JSON:
        """The SecretList (image.openshift.io/v1) of docker-type secrets not annotated as excluded."""
        label_text = ctx.query.get("labelSelector") or ""
        field_text = ctx.query.get("fieldSelector") or ""
        labels = parse_label_selector(label_text) if label_text else None
        fields = parse_field_selector(field_text) if field_text else None
        secrets = ctx.store.list("secrets", namespace)
        token = ctx.query.get("continue") or ""
        revision = ctx.store.current_resource_version()
        if token:
            revision, start = decode_continue(token)
            secrets = [s for s in secrets if _key(s) >= start]

        def wanted(secret: JSON) -> bool:
            if labels is not None and not labels.matches((secret.get("metadata") or {}).get("labels") or {}):
                return False
            return fields is None or fields.matches(lambda path: secret_field_value(secret, path))

        selected = [secret for secret in secrets if wanted(secret)]
        limit_text = ctx.query.get("limit") or ""
        limit = int(limit_text) if limit_text.isdigit() and int(limit_text) > 0 else None
        list_meta: JSON = {"resourceVersion": str(revision)}
        if limit is not None and len(selected) > limit:
            list_meta["continue"] = encode_continue(revision, _key(selected[limit - 1]) + "\x00")
            if labels is None and fields is None:
                list_meta["remainingItemCount"] = len(selected) - limit
            selected = selected[:limit]
        # The proxy lists first and filters after, so a page can hold fewer than ``limit`` secrets.
        items = []
        for secret in selected:
            annotations = (secret.get("metadata") or {}).get("annotations") or {}
            if secret.get("type") not in DOCKER_SECRET_TYPES or annotations.get(EXCLUDE_SECRET_ANNOTATION) == "true":
                continue
            secret.pop("kind", None)
            secret.pop("apiVersion", None)
            items.append(secret)
        return {"kind": "SecretList", "apiVersion": API_VERSION, "metadata": list_meta, "items": items}


def _key(secret: JSON) -> str:
    meta = secret.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"

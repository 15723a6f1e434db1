"""PATCH content types and options over HTTP: one dispatch with ``patch_document`` (server-semantics.md §1, §12).

The server checks the content type (415) and then ``ValidatePatchOptions`` (422) before it reads the
body, for store-backed and virtual resources alike.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from _core_helpers import GROUP_PATH, stream_body, streams_path

from imageapi.testing._patch import MERGE_PATCH, PatchSchema, patch_document
from imageapi.testing._status import StatusError

MERGE = {"Content-Type": MERGE_PATCH}
UNKNOWN_TYPE_MESSAGE = (
    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, "
    "application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
)
FORCE_FORBIDDEN = 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'


@pytest.fixture
def stream(http: httpx.Client) -> dict[str, Any]:
    """A stored stream named ``a``."""
    created = http.post(streams_path(), json=stream_body("a", labels={"k": "v"}))
    assert created.status_code == 201
    body: dict[str, Any] = created.json()
    return body


@pytest.mark.parametrize("force", ["true", "false", ""])
def test_force_on_a_non_apply_patch_is_422_and_writes_nothing(http: httpx.Client, stream: dict[str, Any],
                                                               force: str) -> None:
    # The server rejects any force value (its PatchOptions.Force is a pointer: present means set).
    response = http.patch(streams_path(name="a"), json={"metadata": {"labels": {"k": "w"}}}, headers=MERGE,
                          params={"force": force})
    assert response.status_code == 422
    assert response.json()["reason"] == "Invalid"
    assert response.json()["message"] == FORCE_FORBIDDEN
    assert http.get(streams_path(name="a")).json()["metadata"]["labels"] == {"k": "v"}


def test_field_manager_checks_apply_to_every_patch_type(http: httpx.Client, stream: dict[str, Any]) -> None:
    too_long = http.patch(streams_path(name="a"), json={}, headers=MERGE, params={"fieldManager": "m" * 129})
    assert too_long.status_code == 422
    assert too_long.json()["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes')
    unprintable = http.patch(streams_path(name="a"), json={}, headers=MERGE, params={"fieldManager": "bad\tname"})
    assert unprintable.status_code == 422
    assert unprintable.json()["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "bad\\tname": invalid character U+0009 '
        "(at position 3)")
    fine = http.patch(streams_path(name="a"), json={}, headers=MERGE, params={"fieldManager": "m" * 128})
    assert fine.status_code == 200


def test_options_are_checked_before_the_body_is_read(http: httpx.Client, stream: dict[str, Any]) -> None:
    unknown = http.patch(streams_path(name="a"), content=b"{not json", headers={"Content-Type": "text/plain"})
    assert unknown.status_code == 415
    forced = http.patch(streams_path(name="a"), content=b"{not json", headers=MERGE, params={"force": "true"})
    assert forced.status_code == 422


def test_unknown_patch_type_has_one_text_and_shape(http: httpx.Client, stream: dict[str, Any]) -> None:
    response = http.patch(streams_path(name="a"), json={}, headers={"Content-Type": "application/json"})
    assert response.status_code == 415
    assert response.json() == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": UNKNOWN_TYPE_MESSAGE, "reason": "UnsupportedMediaType", "code": 415}
    with pytest.raises(StatusError) as raised:
        patch_document("application/json", {}, {}, PatchSchema.untyped())
    assert raised.value.to_status() == response.json()


def test_virtual_resource_patches_share_the_checks(http: httpx.Client) -> None:
    path = f"{GROUP_PATH}/namespaces/ns1/imagestreamtags/a:latest"
    forced = http.patch(path, json={"tag": None}, headers=MERGE, params={"force": "1"})
    assert forced.status_code == 422
    assert forced.json()["message"] == FORCE_FORBIDDEN
    unknown = http.patch(path, json={}, headers={"Content-Type": "application/xml"})
    assert unknown.status_code == 415
    assert unknown.json()["message"] == UNKNOWN_TYPE_MESSAGE

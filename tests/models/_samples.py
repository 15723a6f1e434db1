"""Realistic wire-form samples of every kind, as the server writes them (plus fields from the future).

Each sample carries a few fields this SDK version does not know, at several depths, so the
round-trip tests prove that nothing a newer server sends is dropped.
"""

from __future__ import annotations

import copy
from typing import Any

DIGEST = "sha256:" + "ab" * 32
OTHER_DIGEST = "sha256:" + "cd" * 32
CREATED = "2024-05-06T07:08:09Z"
CONTENT_B64 = "c2lnbmVkIGJ5IGV4YW1wbGU="  # base64 of b"signed by example"

_IMAGE: dict[str, Any] = {
    "metadata": {
        "name": DIGEST,
        "uid": "0d5c8b1e-7e67-4c3b-9a4e-1f2d3c4b5a69",
        "resourceVersion": "4411",
        "creationTimestamp": CREATED,
        "annotations": {"image.openshift.io/dockerLayersOrder": "ascending"},
        "managedFields": [
            {
                "manager": "openshift-apiserver",
                "operation": "Update",
                "apiVersion": "image.openshift.io/v1",
                "time": CREATED,
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:annotations": {".": {}}}},
            }
        ],
    },
    "dockerImageReference": f"quay.io/example/app@{DIGEST}",
    "dockerImageMetadata": {
        "kind": "DockerImage",
        "apiVersion": "image.openshift.io/1.0",
        "Id": OTHER_DIGEST,
        "Created": CREATED,
        "Config": {"Env": ["PATH=/usr/bin"], "Labels": {"version": "1.2"}},
        "Architecture": "amd64",
        "Size": 734003,
    },
    "dockerImageMetadataVersion": "1.0",
    "dockerImageLayers": [
        {"name": OTHER_DIGEST, "size": 734003, "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"}
    ],
    "dockerImageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "dockerImageSignatures": ["AAEC"],
    "signatures": [
        {
            "metadata": {"name": f"{DIGEST}@0123456789abcdef0123456789abcdef"},
            "type": "AtomicImageV1",
            "content": CONTENT_B64,
            "conditions": [
                {
                    "type": "Trusted",
                    "status": "True",
                    "lastProbeTime": CREATED,
                    "lastTransitionTime": CREATED,
                    "reason": "Verified",
                    "message": "verified",
                }
            ],
            "imageIdentity": "quay.io/example/app:1.2",
            "signedClaims": {"creator": "atomic"},
            "created": CREATED,
            "issuedBy": {"organization": "Example", "commonName": "Example key"},
            "issuedTo": {"organization": "Example", "commonName": "Example", "publicKeyID": "A1B2C3D4"},
            "futureSignatureField": {"nested": [1, 2, 3]},
        }
    ],
    "futureImageField": "from a newer server",
}

_IMAGE_STREAM: dict[str, Any] = {
    "metadata": {
        "name": "app",
        "namespace": "team",
        "uid": "5f0a1d8e-11aa-4b2c-8d3e-6f7a8b9c0d1e",
        "resourceVersion": "4420",
        "generation": 2,
        "creationTimestamp": CREATED,
        "labels": {"app": "web"},
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": "u-1", "controller": True}
        ],
    },
    "spec": {
        "lookupPolicy": {"local": False},
        "tags": [
            {
                "name": "latest",
                "annotations": None,
                "from": {"kind": "DockerImage", "name": "quay.io/example/app:latest"},
                "generation": 2,
                "importPolicy": {"importMode": "Legacy", "scheduled": True, "futurePolicy": "x"},
                "referencePolicy": {"type": "Source"},
            }
        ],
    },
    "status": {
        "dockerImageRepository": "image-registry.openshift-image-registry.svc:5000/team/app",
        "tags": [
            {
                "tag": "latest",
                "items": [
                    {
                        "created": CREATED,
                        "dockerImageReference": f"quay.io/example/app@{DIGEST}",
                        "image": DIGEST,
                        "generation": 2,
                    }
                ],
                "conditions": [
                    {
                        "type": "ImportSuccess",
                        "status": "False",
                        "lastTransitionTime": CREATED,
                        "reason": "NotFound",
                        "message": "not found",
                        "generation": 2,
                    }
                ],
            }
        ],
    },
}

_TAG_REFERENCE = _IMAGE_STREAM["spec"]["tags"][0]

_ISTAG: dict[str, Any] = {
    "metadata": {"name": "app:latest", "namespace": "team", "resourceVersion": "4420", "creationTimestamp": CREATED},
    "tag": _TAG_REFERENCE,
    "generation": 2,
    "lookupPolicy": {"local": False},
    "conditions": _IMAGE_STREAM["status"]["tags"][0]["conditions"],
    "image": _IMAGE,
}

_IMAGE_TAG: dict[str, Any] = {
    "metadata": {"name": "app:latest", "namespace": "team", "resourceVersion": "4420"},
    "spec": _TAG_REFERENCE,
    "status": _IMAGE_STREAM["status"]["tags"][0],
    "image": _IMAGE,
}

_IMPORT: dict[str, Any] = {
    "metadata": {"name": "app", "namespace": "team"},
    "spec": {
        "import": True,
        "images": [
            {
                "from": {"kind": "DockerImage", "name": "quay.io/example/app:1.2"},
                "to": {"name": "1.2"},
                "importPolicy": {"importMode": "PreserveOriginal"},
                "referencePolicy": {"type": "Local"},
                "includeManifest": True,
            }
        ],
        "repository": {
            "from": {"kind": "DockerImage", "name": "quay.io/example/app"},
            "importPolicy": {"insecure": False},
            "referencePolicy": {"type": "Source"},
            "includeManifest": False,
        },
    },
    "status": {
        "import": _IMAGE_STREAM,
        "images": [
            {
                "tag": "1.2",
                "status": {"metadata": {}, "status": "Success", "code": 200},
                "image": _IMAGE,
                "manifests": [
                    {
                        "metadata": {"name": OTHER_DIGEST},
                        "dockerImageReference": f"quay.io/example/app@{OTHER_DIGEST}",
                    }
                ],
            }
        ],
        "repository": {
            "status": {"metadata": {}, "status": "Failure", "reason": "Unauthorized", "code": 401},
            "images": [],
            "additionalTags": ["old"],
        },
    },
}

_LAYERS: dict[str, Any] = {
    "metadata": {"name": "app", "namespace": "team", "resourceVersion": "4420"},
    "blobs": {OTHER_DIGEST: {"size": 734003, "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip"}},
    "images": {
        DIGEST: {
            "layers": [OTHER_DIGEST],
            "config": None,
            "imageMissing": False,
            "manifests": [OTHER_DIGEST],
        }
    },
}

_MAPPING: dict[str, Any] = {
    "metadata": {"name": "app", "namespace": "team"},
    "image": _IMAGE,
    "tag": "latest",
}

_SECRET: dict[str, Any] = {
    "metadata": {"name": "pull", "namespace": "team"},
    "type": "kubernetes.io/dockerconfigjson",
    "data": {".dockerconfigjson": "eyJhdXRocyI6e319"},
    "immutable": False,
}

_STATUS: dict[str, Any] = {
    "metadata": {},
    "status": "Failure",
    "message": 'imagestreams.image.openshift.io "x" is invalid: spec.tags[a].from.name: Required value',
    "reason": "Invalid",
    "details": {
        "name": "x",
        "group": "image.openshift.io",
        "kind": "ImageStream",
        "causes": [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.tags[a].from.name"}],
    },
    "code": 422,
}


def _kinded(kind: str, body: dict[str, Any], api_version: str = "image.openshift.io/v1") -> dict[str, Any]:
    return {"kind": kind, "apiVersion": api_version, **copy.deepcopy(body)}


def _list(kind: str, item: dict[str, Any], api_version: str = "image.openshift.io/v1") -> dict[str, Any]:
    # List items come without kind/apiVersion, as the server writes them.
    return {
        "kind": kind,
        "apiVersion": api_version,
        "metadata": {"resourceVersion": "4420", "continue": "token", "remainingItemCount": 3},
        "items": [copy.deepcopy(item)],
    }


#: model name → a wire-form document of that kind.
SAMPLES: dict[str, dict[str, Any]] = {
    "Image": _kinded("Image", _IMAGE),
    "ImageList": _list("ImageList", _IMAGE),
    "ImageSignature": _kinded("ImageSignature", _IMAGE["signatures"][0]),
    "ImageStream": _kinded("ImageStream", _IMAGE_STREAM),
    "ImageStreamList": _list("ImageStreamList", _IMAGE_STREAM),
    "ImageStreamTag": _kinded("ImageStreamTag", _ISTAG),
    "ImageStreamTagList": _list("ImageStreamTagList", _ISTAG),
    "ImageTag": _kinded("ImageTag", _IMAGE_TAG),
    "ImageTagList": _list("ImageTagList", _IMAGE_TAG),
    "ImageStreamImage": _kinded(
        "ImageStreamImage", {"metadata": {"name": f"app@{DIGEST}", "namespace": "team"}, "image": _IMAGE}
    ),
    "ImageStreamImport": _kinded("ImageStreamImport", _IMPORT),
    "ImageStreamLayers": _kinded("ImageStreamLayers", _LAYERS),
    "ImageStreamMapping": _kinded("ImageStreamMapping", _MAPPING),
    "SecretList": _list("SecretList", _SECRET),
    "Secret": _kinded("Secret", _SECRET, api_version="v1"),
    "Status": _kinded("Status", _STATUS, api_version="v1"),
    "WatchEvent": {"type": "MODIFIED", "object": _kinded("ImageStream", _IMAGE_STREAM)},
    "DeleteOptions": _kinded(
        "DeleteOptions",
        {"propagationPolicy": "Foreground", "preconditions": {"uid": "u-1", "resourceVersion": "7"}, "dryRun": ["All"]},
        api_version="v1",
    ),
}

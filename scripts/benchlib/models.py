"""Benchmark section ``models``: typed decoding of a large ImageList against plain ``json.loads``.

Printed figures (all ratios, medians of interleaved runs in this process):

- full typed decode (``ImageList.model_validate_json``) vs ``json.loads`` of the same bytes, and the
  same for a naive model set of the same schema (``benchlib._naive_models``) for comparison;
- decode, then read name, dockerImageReference and layer count of every item, end to end, vs the
  same work on the ``json.loads`` dicts; and the reads alone, typed attributes vs dict lookups;
- the lazy decode list pages and watch events use (``from_json(..., lazy=True)``: fields validated
  when first read): the decode itself, the decode with the same reads end to end, and the decode
  followed by ``validate_all()`` (everything validated, the worst case);
- decoding through dicts (``json.loads`` + ``model_validate``), for comparison;
- ``import imageapi`` vs ``import httpx, pydantic``, each timed inside fresh interpreters.

Before timing, the section checks that the configuration it measures round-trips the payload
losslessly (decode → ``model_dump_json`` → ``json.loads`` equals the original).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import statistics
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

from benchlib import interleaved_medians, ratio_line
from benchlib._naive_models import build_naive_models

ITEMS = 5_000
QUICK_ITEMS = 1_000
LAYERS_PER_IMAGE = 8
TYPED_DECODE_GOAL = 1.3
"""Issue 14's goal for a full typed decode against ``json.loads`` of the same bytes (it was 2.5 before)."""

_LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
_MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def _digest(rng: random.Random) -> str:
    return "sha256:" + hashlib.sha256(rng.randbytes(32)).hexdigest()


def _time(base: datetime, rng: random.Random) -> str:
    return (base + timedelta(seconds=rng.randrange(0, 86_400 * 365))).strftime("%Y-%m-%dT%H:%M:%SZ")


def _image(index: int, rng: random.Random) -> dict[str, Any]:
    """One Image as the server lists it: Docker-style metadata, 8 layers, a signature with a condition."""
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    name = _digest(rng)
    repository = f"quay.io/team{index % 37}/app{index % 211}"
    created = _time(base, rng)
    layers = [
        {"name": _digest(rng), "size": rng.randrange(1_000, 80_000_000), "mediaType": _LAYER_MEDIA_TYPE}
        for _ in range(LAYERS_PER_IMAGE)
    ]
    labels = {
        "io.k8s.display-name": f"app {index}",
        "io.openshift.tags": "builder,base",
        "vcs-ref": hashlib.sha1(str(index).encode()).hexdigest(),
        "version": f"1.{index % 40}.{index % 7}",
    }
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", f"APP_VERSION=1.{index % 40}"]
    return {
        "metadata": {
            "name": name,
            "uid": f"{index:08x}-1a2b-4c3d-8e9f-{rng.randrange(16**12):012x}",
            "resourceVersion": str(100_000 + index),
            "creationTimestamp": created,
            "annotations": {
                "image.openshift.io/dockerLayersOrder": "ascending",
                "openshift.io/image.managed": "true",
            },
        },
        "dockerImageReference": f"{repository}@{name}",
        "dockerImageMetadata": {
            "kind": "DockerImage",
            "apiVersion": "image.openshift.io/1.0",
            "Id": _digest(rng),
            "Created": created,
            "ContainerConfig": {},
            "Config": {
                "User": "1001",
                "ExposedPorts": {"8080/tcp": {}},
                "Env": env,
                "Cmd": ["/usr/bin/run"],
                "WorkingDir": "/opt/app-root/src",
                "Labels": labels,
            },
            "Architecture": "amd64",
            "Size": sum(layer["size"] for layer in layers),
        },
        "dockerImageMetadataVersion": "1.0",
        "dockerImageLayers": layers,
        "dockerImageManifestMediaType": _MANIFEST_MEDIA_TYPE,
        "signatures": [
            {
                "metadata": {"name": f"{name}@{rng.randrange(16**32):032x}"},
                "type": "AtomicImageV1",
                "content": base64.b64encode(rng.randbytes(96)).decode(),
                "conditions": [
                    {
                        "type": "Trusted",
                        "status": "True",
                        "lastProbeTime": created,
                        "lastTransitionTime": created,
                        "reason": "Verified",
                        "message": "signature verified against the cluster's trust policy",
                    }
                ],
                "imageIdentity": f"{repository}:latest",
                "signedClaims": {"creator": "atomic 1.22"},
                "created": created,
                "issuedBy": {"organization": "Example", "commonName": "Example signing key"},
                "issuedTo": {"organization": "Example", "commonName": "Example", "publicKeyID": "A1B2C3D4"},
            }
        ],
    }


def build_payload(items: int, seed: int = 20240101) -> bytes:
    """An ImageList of ``items`` realistic images, as the JSON bytes a server would send."""
    rng = random.Random(seed)
    image_list = {
        "kind": "ImageList",
        "apiVersion": "image.openshift.io/v1",
        "metadata": {"resourceVersion": "987654"},
        "items": [_image(index, rng) for index in range(items)],
    }
    return json.dumps(image_list, separators=(",", ":")).encode()


def _reads_on_dicts(data: dict[str, Any]) -> int:
    total = 0
    for item in data["items"]:
        name = item["metadata"]["name"]
        reference = item["dockerImageReference"]
        total += len(name) + len(reference) + len(item["dockerImageLayers"])
    return total


def _reads_on_models(image_list: Any) -> int:
    total = 0
    for item in image_list.items:
        name = item.metadata.name
        reference = item.docker_image_reference
        total += len(name) + len(reference) + len(item.docker_image_layers)
    return total


def _import_seconds(statement: str) -> float:
    """Time of ``statement`` inside a fresh interpreter, measured there (interpreter start-up excluded)."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def check_round_trip(payload: bytes) -> None:
    """Fail loudly unless decode → encode gives back the payload's JSON exactly."""
    from imageapi.models import ImageList

    decoded = ImageList.model_validate_json(payload)
    if json.loads(decoded.model_dump_json()) != json.loads(payload):
        raise AssertionError("ImageList round trip is not lossless in the measured configuration")
    if json.loads(ImageList.model_validate(json.loads(payload)).to_json()) != json.loads(payload):
        raise AssertionError("ImageList round trip through dicts is not lossless")


def run(quick: bool) -> None:
    """Print the model decoding ratios (see the module docstring)."""
    from imageapi.models import ImageList

    items = QUICK_ITEMS if quick else ITEMS
    repeat = 5 if quick else 15
    payload = build_payload(items)
    print(f"  payload: ImageList of {items} images, {len(payload) / 1e6:.1f} MB")

    check_round_trip(payload)
    print("  round trip decode -> encode: lossless")

    naive_image_list = build_naive_models()["ImageList"]
    ImageList.model_validate_json(payload)  # build the deferred validators outside the timings
    naive_image_list.model_validate_json(payload)
    decodes = {
        "json.loads": lambda: json.loads(payload),
        "naive": lambda: naive_image_list.model_validate_json(payload),
        "typed": lambda: ImageList.model_validate_json(payload),
        "typed via dicts": lambda: ImageList.model_validate(json.loads(payload)),
        "json.loads + reads": lambda: _reads_on_dicts(json.loads(payload)),
        "typed + reads": lambda: _reads_on_models(ImageList.model_validate_json(payload)),
        "lazy": lambda: ImageList.from_json(payload, lazy=True).items,
        "lazy + reads": lambda: _reads_on_models(ImageList.from_json(payload, lazy=True)),
        "lazy + validate_all": lambda: ImageList.from_json(payload, lazy=True).validate_all(),
    }
    # Decoding is timed with nothing else large alive: a big live heap slows every full GC pass
    # (which decodes of this size trigger), for json.loads and the models alike.
    for collector, heading in (
        (True, "with the garbage collector running, as in an application"),
        (False, "with the garbage collector off during each timed call (the decoding work alone)"),
    ):
        medians = interleaved_medians(decodes, repeat, collector=collector)
        baseline = medians["json.loads"]
        print(f"  {heading}:")
        print("  " + ratio_line("full typed decode vs json.loads", medians["typed"], baseline, goal=TYPED_DECODE_GOAL))
        print(
            "  "
            + ratio_line(
                "  the same with a naive model set (per-field Python validators, model_post_init, no GC hold)",
                medians["naive"],
                baseline,
            )
        )
        print(
            "  "
            + ratio_line(
                "decode + read name/dockerImageReference/layer count of every item, END TO END,"
                " vs json.loads + the same reads on dicts",
                medians["typed + reads"],
                medians["json.loads + reads"],
            )
        )
        print(
            "  "
            + ratio_line(
                "LAZY typed decode (what list pages and watch events use: fields validated when read),"
                " items listed, vs json.loads",
                medians["lazy"],
                baseline,
                goal=TYPED_DECODE_GOAL,
            )
        )
        print(
            "  "
            + ratio_line(
                "lazy decode + the same reads, END TO END, vs json.loads + the same reads on dicts",
                medians["lazy + reads"],
                medians["json.loads + reads"],
                goal=TYPED_DECODE_GOAL,
            )
        )
        print(
            "  "
            + ratio_line(
                "lazy decode, then every field validated (validate_all) vs json.loads",
                medians["lazy + validate_all"],
                baseline,
            )
        )
        print(
            "  "
            + ratio_line(
                "typed decode through dicts (json.loads + model_validate) vs json.loads",
                medians["typed via dicts"],
                baseline,
            )
        )

    as_dicts = json.loads(payload)
    as_models = ImageList.model_validate_json(payload)
    reads = interleaved_medians(
        {
            "reads on dicts": lambda: _reads_on_dicts(as_dicts),
            "reads on models": lambda: _reads_on_models(as_models),
        },
        repeat,
    )
    print(
        ratio_line(
            "READS ONLY (name/dockerImageReference/layer count of every item): model attributes vs dict lookups",
            reads["reads on models"],
            reads["reads on dicts"],
            goal=1.5,
        )
    )

    runs = 5 if quick else 11
    statements = {
        "baseline": "import httpx, pydantic",
        "package": "import imageapi",
        "models": "from imageapi.models import ImageStream",
    }
    timings: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, statement in statements.items():
            timings[name].append(_import_seconds(statement))
    baseline_import = statistics.median(timings["baseline"])
    print(
        ratio_line(
            f"import imageapi vs import httpx, pydantic (fresh interpreters, median of {runs})",
            statistics.median(timings["package"]),
            baseline_import,
            goal=1.3,
        )
    )
    print(
        ratio_line(
            "from imageapi.models import ImageStream (pydantic and the model modules load) vs the same baseline",
            statistics.median(timings["models"]),
            baseline_import,
        )
    )

"""Real kubectl against the fake cluster on loopback.

kubectl is the most demanding everyday client of an API server: it reads discovery to resolve short
names, downloads the OpenAPI v3 document to validate manifests and to explain fields, then sends
``fieldValidation=Strict``, computes three-way merges for ``apply``, sends the four patch types, pages
lists with ``--chunk-size`` and follows watches. Each test below drives one of those paths with the
real binary and checks the result both in kubectl's output and in the cluster's store.

Every kubectl run is isolated (``HOME``, ``KUBECONFIG`` and ``--kubeconfig`` point into the test's tmp
dir, nothing else of the environment is passed on) and bounded twice: ``--request-timeout`` for each
HTTP request and a subprocess timeout for the whole command.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from imageapi.testing import FakeCluster, StatusError

KUBECTL = shutil.which("kubectl")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH; these tests drive the real binary"),
]

NAMESPACE = "e2e"
TOKEN = "kubectl-e2e-token"
GROUP = "image.openshift.io"
STREAM_KIND = f"imagestream.{GROUP}"
# Published in the fake registry, so the simulated import controller resolves tags that point at them.
APP_V1 = "quay.io/example/app:1.0"
APP_V2 = "quay.io/example/app:2.0"

# Bounds, not assertions: one HTTP request, a whole kubectl command, one awaited watch line.
REQUEST_TIMEOUT = "5s"
COMMAND_TIMEOUT = 20.0
WATCH_LINE_TIMEOUT = 10.0


@dataclass
class Kubectl:
    """Runs the kubectl binary against one served fake cluster, isolated from the user's setup."""

    kubeconfig: Path
    home: Path

    def _argv(self, args: tuple[str, ...], request_timeout: str) -> list[str]:
        assert KUBECTL is not None
        return [KUBECTL, f"--kubeconfig={self.kubeconfig}", f"--request-timeout={request_timeout}", *args]

    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        # Only what kubectl needs: no KUBECONFIG, proxy settings or kubectl plugins of the caller leak in.
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.home),
                "KUBECONFIG": str(self.kubeconfig), "LANG": "C", **(extra or {})}

    def run(self, *args: str, stdin: str | None = None, check: bool = True, request_timeout: str = REQUEST_TIMEOUT,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``kubectl <args>``; with ``check`` a non-zero exit fails the test showing kubectl's stderr."""
        result = subprocess.run(self._argv(args, request_timeout), input=stdin, capture_output=True, text=True,
                                env=self._env(env), timeout=COMMAND_TIMEOUT, check=False)
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout}\n"
                        f"stderr:\n{result.stderr}")
        return result

    def json(self, *args: str) -> Any:
        """Run a ``kubectl get``-like command with ``-o json`` and decode its output."""
        return json.loads(self.run(*args, "-o", "json").stdout)

    def start(self, *args: str, request_timeout: str) -> LineReader:
        """Start a long-running kubectl (a watch) whose stdout is read line by line."""
        process = subprocess.Popen(self._argv(args, request_timeout), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=self._env())
        return LineReader(process)


class LineReader:
    """Reads a child's stdout and stderr on threads so that waiting for a line is bounded."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._stdout: queue.Queue[str | None] = queue.Queue()
        self._stderr: queue.Queue[str | None] = queue.Queue()
        self._stderr_seen: list[str] = []
        self._threads = [threading.Thread(target=self._pump, args=(pipe, lines), daemon=True)
                         for pipe, lines in ((process.stdout, self._stdout), (process.stderr, self._stderr))]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _pump(pipe: Any, lines: queue.Queue[str | None]) -> None:
        for line in pipe:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    def _take(self, lines: queue.Queue[str | None], what: str) -> str:
        try:
            line = lines.get(timeout=WATCH_LINE_TIMEOUT)
        except queue.Empty:
            pytest.fail(f"kubectl printed no {what} for {WATCH_LINE_TIMEOUT} s; stderr so far:\n"
                        + "\n".join(self._stderr_seen))
        if line is None:
            pytest.fail(f"kubectl exited ({self.process.wait()}) before the expected {what}; stderr:\n"
                        + "\n".join(self._stderr_seen))
        return line

    def next_line(self) -> str:
        """The next line of standard output (fails the test if kubectl exits or stays silent too long)."""
        return self._take(self._stdout, "output line")

    def wait_for_log(self, fragment: str) -> str:
        """Skip kubectl's log lines (stderr, ``-v``) until one contains ``fragment``; return it."""
        while True:
            line = self._take(self._stderr, f"log line with {fragment!r}")
            self._stderr_seen.append(line)
            if fragment in line:
                return line

    def stop(self) -> None:
        """End the child (only this process, by its handle) and reap it."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for thread in self._threads:
            thread.join(timeout=COMMAND_TIMEOUT)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


def make_cluster(**options: Any) -> FakeCluster:
    """A cluster with an ``e2e`` namespace and two importable images.

    No token by default: kubectl (client-go's clientcmd) only loads a kubeconfig's credentials for
    TLS servers, and the fake serves plain HTTP, so kubectl never sends one (see the Unauthorized test)."""
    fake = FakeCluster(namespaces=[NAMESPACE], **options)
    fake.registry.add_image(APP_V1)
    fake.registry.add_image(APP_V2)
    return fake


@contextlib.contextmanager
def kubectl_for(cluster: FakeCluster, tmp_path: Path) -> Iterator[Kubectl]:
    """Serve ``cluster`` on loopback for the block and point an isolated kubectl at it (namespace e2e)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    with cluster.serve() as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", namespace=NAMESPACE)
        yield Kubectl(kubeconfig=kubeconfig, home=home)


@pytest.fixture
def cluster() -> Iterator[FakeCluster]:
    """See :func:`make_cluster`."""
    fake = make_cluster()
    yield fake
    fake.close()


@pytest.fixture
def kubectl(cluster: FakeCluster, tmp_path: Path) -> Iterator[Kubectl]:
    """kubectl pointed at ``cluster`` served on loopback, default namespace ``e2e``."""
    with kubectl_for(cluster, tmp_path) as client:
        yield client


def stream_manifest(name: str, *, labels: dict[str, str] | None = None,
                    tags: dict[str, str] | None = None, **spec_extra: Any) -> str:
    """An ImageStream manifest (JSON is valid YAML) with DockerImage spec tags ``{tag: reference}``."""
    spec: dict[str, Any] = {"lookupPolicy": {"local": False}, **spec_extra}
    if tags:
        spec["tags"] = [{"name": tag, "from": {"kind": "DockerImage", "name": reference}}
                        for tag, reference in tags.items()]
    metadata: dict[str, Any] = {"name": name}
    if labels:
        metadata["labels"] = labels
    return json.dumps({"apiVersion": f"{GROUP}/v1", "kind": "ImageStream", "metadata": metadata, "spec": spec})


def write_manifest(tmp_path: Path, filename: str, text: str) -> str:
    path = tmp_path / filename
    path.write_text(text)
    return str(path)


def stored_stream(cluster: FakeCluster, name: str) -> dict[str, Any]:
    return cluster.get("imagestreams", name, namespace=NAMESPACE)


def _port(kubectl: Kubectl) -> str:
    """The served port, read back from the kubeconfig kubectl uses."""
    text = kubectl.kubeconfig.read_text()
    return text.split("http://127.0.0.1:", 1)[1].split('"', 1)[0]


def parse_table(text: str) -> list[dict[str, str]]:
    """Rows of kubectl's column output, cut at the header's column starts (cells may be empty)."""
    header, *rows = text.splitlines()
    names = header.split()
    starts = [header.index(name) for name in names]
    ends = [*starts[1:], None]
    return [{name: row[start:end].strip() for name, start, end in zip(names, starts, ends, strict=True)} for row in rows]


# -- discovery -------------------------------------------------------------------------------------


def test_api_resources_lists_the_image_group_with_short_names_scope_and_verbs(kubectl: Kubectl) -> None:
    output = kubectl.run("api-resources", f"--api-group={GROUP}", "-o", "wide").stdout
    rows = {row["NAME"]: row for row in parse_table(output)}

    # Subresources (imagestreams/status, /layers, /secrets) are not listed as resources.
    assert set(rows) == {"images", "imagesignatures", "imagestreams", "imagestreamtags", "imagetags",
                         "imagestreamimages", "imagestreamimports", "imagestreammappings"}
    assert {name: row["SHORTNAMES"] for name, row in rows.items() if row["SHORTNAMES"]} == {
        "imagestreams": "is", "imagestreamtags": "istag", "imagetags": "itag", "imagestreamimages": "isimage"}
    assert {name for name, row in rows.items() if row["NAMESPACED"] == "false"} == {"images", "imagesignatures"}
    assert rows["imagestreamtags"]["KIND"] == "ImageStreamTag"
    assert rows["imagestreams"]["CATEGORIES"] == "all"
    assert all(row["APIVERSION"] == f"{GROUP}/v1" for row in rows.values())
    # Verbs as server-semantics §1 lists them: no watch on the virtual tag resources.
    assert rows["imagestreams"]["VERBS"] == "create,delete,deletecollection,get,list,patch,update,watch"
    assert rows["imagestreamtags"]["VERBS"] == "create,delete,get,list,patch,update"
    assert rows["imagetags"]["VERBS"] == "create,delete,get,list,patch,update"
    assert rows["imagestreamimages"]["VERBS"] == "get"
    assert rows["imagesignatures"]["VERBS"] == "create,delete"
    assert rows["imagestreammappings"]["VERBS"] == "create"


def test_a_token_protected_cluster_refuses_kubectl_over_plain_http(tmp_path: Path) -> None:
    # kubectl drops the kubeconfig's token for a non-TLS server, so the fake's 401 Status must come
    # back and be understood by kubectl as "log in first".
    protected = make_cluster(token=TOKEN)
    with kubectl_for(protected, tmp_path) as client:
        assert f"token: {TOKEN}" in client.run("config", "view", "--raw").stdout
        result = client.run("get", "is", check=False)
    protected.close()

    assert result.returncode != 0
    assert "You must be logged in to the server" in result.stderr


# -- create, get -----------------------------------------------------------------------------------


def test_create_validates_against_openapi_v3_and_sends_strict_field_validation(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "app.yaml", stream_manifest("app", labels={"team": "a"},
                                                                     tags={"v1": APP_V1}))
    # -v=6 logs each request line: kubectl must have found fieldValidation in the OpenAPI v3
    # document and delegated validation to the server rather than falling back to client checks.
    result = kubectl.run("create", "-f", manifest, "--validate=strict", "-v=6")

    assert f"{STREAM_KIND}/app created" in result.stdout
    assert "/openapi/v3/apis/image.openshift.io/v1" in result.stderr
    assert f"POST http://127.0.0.1:{_port(kubectl)}/apis/{GROUP}/v1/namespaces/{NAMESPACE}/imagestreams?" \
           in result.stderr
    assert "fieldValidation=Strict" in result.stderr
    stored = stored_stream(cluster, "app")
    assert stored["metadata"]["labels"] == {"team": "a"}
    assert stored["metadata"]["generation"] >= 1
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v1"]


def test_create_refuses_an_unknown_field_under_strict_validation(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "bad.yaml", stream_manifest("bad", bogusField=1))

    result = kubectl.run("create", "-f", manifest, check=False)

    assert result.returncode != 0
    # The real server's strict decoder names the field by its full path.
    assert 'strict decoding error: unknown field "spec.bogusField"' in result.stderr
    assert "BadRequest" in result.stderr
    with pytest.raises(StatusError) as missing:
        stored_stream(cluster, "bad")
    assert missing.value.code == 404


@pytest.mark.parametrize("validate", ["false", "warn"])
def test_create_without_strict_validation_drops_the_unknown_field(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path, validate: str) -> None:
    # --validate=false sends fieldValidation=Ignore, --validate=warn sends Warn. Either way the object
    # is created, and the real server decodes it into its Go type, so the unknown field is not stored.
    manifest = write_manifest(tmp_path, "lax.yaml", stream_manifest("lax", bogusField=1))

    result = kubectl.run("create", "-f", manifest, f"--validate={validate}")

    assert f"{STREAM_KIND}/lax created" in result.stdout
    if validate == "warn":
        assert 'unknown field "spec.bogusField"' in result.stderr
    assert "bogusField" not in stored_stream(cluster, "lax")["spec"]


def test_create_ignores_a_status_in_the_manifest(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    manifest = json.loads(stream_manifest("app"))
    manifest["status"] = {"dockerImageRepository": "evil.example/x", "tags": [
        {"tag": "forged", "items": [{"created": "2020-01-01T00:00:00Z", "generation": 1,
                                      "dockerImageReference": "evil.example/x@sha256:" + "a" * 64,
                                      "image": "sha256:" + "a" * 64}]}]}

    kubectl.run("create", "-f", write_manifest(tmp_path, "app.json", json.dumps(manifest)))

    # server-semantics §5.2: the whole status is replaced on create.
    assert stored_stream(cluster, "app")["status"] == {
        "dockerImageRepository": f"image-registry.openshift-image-registry.svc:5000/{NAMESPACE}/app"}


def test_create_with_generate_name(kubectl: Kubectl, cluster: FakeCluster) -> None:
    manifest = json.dumps({"apiVersion": f"{GROUP}/v1", "kind": "ImageStream", "metadata": {"generateName": "gen-"}})

    result = kubectl.run("create", "-f", "-", stdin=manifest)

    names = [item["metadata"]["name"] for item in cluster.list("imagestreams", NAMESPACE)]
    assert len(names) == 1 and names[0].startswith("gen-") and len(names[0]) == len("gen-") + 5
    assert f"{STREAM_KIND}/{names[0]} created" in result.stdout


def test_patch_with_an_unknown_field_warns_and_drops_it(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)

    # kubectl patch sends no fieldValidation, so the server's default (Warn) applies.
    result = kubectl.run("patch", "is", "app", "--type=merge", "-p", '{"spec":{"bogus":1}}')

    assert f"{STREAM_KIND}/app patched" in result.stdout
    assert 'Warning: unknown field "spec.bogus"' in result.stderr
    assert "bogus" not in stored_stream(cluster, "app")["spec"]


def test_create_of_an_existing_stream_is_already_exists(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "app.yaml", stream_manifest("app"))
    kubectl.run("create", "-f", manifest)

    result = kubectl.run("create", "-f", manifest, check=False)

    assert result.returncode != 0
    assert "(AlreadyExists)" in result.stderr
    assert f'imagestreams.{GROUP} "app" already exists' in result.stderr


def test_get_is_json_returns_the_stored_streams(kubectl: Kubectl, cluster: FakeCluster) -> None:
    for name in ("one", "two"):
        cluster.create("imagestreams", json.loads(stream_manifest(name)), namespace=NAMESPACE)

    listed = kubectl.json("get", "is")
    single = kubectl.json("get", "imagestream", "two")

    assert listed["kind"] == "List"
    assert [item["metadata"]["name"] for item in listed["items"]] == ["one", "two"]
    assert all(item["kind"] == "ImageStream" for item in listed["items"])
    # kubectl hides metadata.managedFields in its output (--show-managed-fields is off by default).
    stored = stored_stream(cluster, "two")
    assert stored["metadata"].pop("managedFields")
    assert single == stored
    assert single["status"]["dockerImageRepository"] == \
        f"image-registry.openshift-image-registry.svc:5000/{NAMESPACE}/two"


def test_get_pages_with_chunk_size_through_continue_tokens(kubectl: Kubectl, cluster: FakeCluster) -> None:
    names = [f"s{index}" for index in range(5)]
    for name in names:
        cluster.create("imagestreams", json.loads(stream_manifest(name)), namespace=NAMESPACE)

    result = kubectl.run("get", "is", "--chunk-size=2", "-o", "name", "-v=6")

    assert result.stdout.split() == [f"{STREAM_KIND}/{name}" for name in names]
    requests = [line for line in result.stderr.splitlines() if "/imagestreams?" in line]
    assert len(requests) == 3
    assert sum("continue=" in line for line in requests) == 2


def test_get_all_includes_imagestreams(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)

    # "all" is a category; imagestreams are its only member in this API group.
    result = kubectl.run("get", "all", "-o", "name")

    assert result.stdout.split() == [f"{STREAM_KIND}/app"]


@pytest.mark.parametrize(("resource", "reason", "message"), [
    # The path exists but only serves POST (server-semantics §1).
    ("imagestreammappings", "MethodNotAllowed", "the server does not allow this method on the requested resource"),
    # imagestreamimages has no list path at all.
    ("isimage", "NotFound", "the server could not find the requested resource"),
])
def test_listing_a_resource_without_list(kubectl: Kubectl, resource: str, reason: str, message: str) -> None:
    result = kubectl.run("get", resource, check=False)

    assert result.returncode != 0
    assert f"Error from server ({reason})" in result.stderr
    assert message in result.stderr


def test_get_istag_itag_and_isimage_after_the_import(kubectl: Kubectl, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "app.yaml", stream_manifest("app", tags={"v1": APP_V1, "v2": APP_V2}))
    kubectl.run("create", "-f", manifest)

    table = parse_table(kubectl.run("get", "istag").stdout)
    names = kubectl.run("get", "istag", "-o", "name").stdout.split()
    istag = kubectl.json("get", "istag", "app:v1")
    digest = istag["image"]["metadata"]["name"]
    itag = kubectl.json("get", "itag", "app:v2")
    isimage = kubectl.json("get", "isimage", f"app@{digest[:15]}")

    assert sorted(row["NAME"] for row in table) == ["app:v1", "app:v2"]
    assert sorted(names) == [f"imagestreamtag.{GROUP}/app:v1", f"imagestreamtag.{GROUP}/app:v2"]
    assert istag["kind"] == "ImageStreamTag"
    assert digest.startswith("sha256:")
    assert istag["image"]["dockerImageReference"] == f"quay.io/example/app@{digest}"
    assert itag["kind"] == "ImageTag" and itag["spec"]["from"]["name"] == APP_V2
    assert isimage["kind"] == "ImageStreamImage"
    assert isimage["metadata"]["name"] == f"app@{digest[:15]}"
    assert isimage["image"]["metadata"]["name"] == digest


def test_get_istag_without_an_image_is_not_found(kubectl: Kubectl, cluster: FakeCluster) -> None:
    # A spec tag pointing at an image the registry does not have: the import fails, no image.
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"gone": "quay.io/example/none:1"})),
                   namespace=NAMESPACE)

    result = kubectl.run("get", "istag", "app:gone", check=False)

    assert result.returncode != 0
    assert f'imagestreamtags.{GROUP} "app:gone" not found' in result.stderr


def test_watching_imagestreamtags_is_method_not_allowed(kubectl: Kubectl) -> None:
    result = kubectl.run("get", "istag", "-w", check=False)

    assert result.returncode != 0
    assert f'watch is not supported on resources of kind "imagestreamtags.{GROUP}"' in result.stderr


def test_get_all_namespaces_and_field_selectors(kubectl: Kubectl, cluster: FakeCluster) -> None:
    for namespace, name in ((NAMESPACE, "app"), (NAMESPACE, "web"), ("other", "app")):
        cluster.create("imagestreams", json.loads(stream_manifest(name)), namespace=namespace)
    where = '{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}'

    everywhere = kubectl.run("get", "is", "-A", "-o", f"jsonpath={where}").stdout.split()
    by_name = kubectl.run("get", "is", "-A", "--field-selector=metadata.name=app",
                          "-o", f"jsonpath={where}").stdout.split()
    by_repository = kubectl.run(
        "get", "is", "--field-selector",
        f"status.dockerImageRepository=image-registry.openshift-image-registry.svc:5000/{NAMESPACE}/web",
        "-o", "name").stdout.split()
    unknown = kubectl.run("get", "is", "--field-selector=spec.tags=x", check=False)

    assert everywhere == [f"{NAMESPACE}/app", f"{NAMESPACE}/web", "other/app"]
    assert by_name == [f"{NAMESPACE}/app", "other/app"]
    assert by_repository == [f"{STREAM_KIND}/web"]
    # server-semantics §5.6: only four field labels exist for image streams.
    assert unknown.returncode != 0 and "Error from server (BadRequest)" in unknown.stderr


def test_create_and_delete_a_cluster_scoped_image(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    digest = "sha256:" + "1" * 64
    manifest = write_manifest(tmp_path, "image.yaml", json.dumps({
        "apiVersion": f"{GROUP}/v1", "kind": "Image", "metadata": {"name": digest},
        "dockerImageReference": f"quay.io/example/x@{digest}"}))

    created = kubectl.run("create", "-f", manifest)
    fetched = kubectl.json("get", "image", digest)
    deleted = kubectl.run("delete", "-f", manifest)

    assert f"image.{GROUP}/{digest} created" in created.stdout
    assert "namespace" not in fetched["metadata"]
    assert fetched["dockerImageReference"] == f"quay.io/example/x@{digest}"
    assert f'image.{GROUP} "{digest}" deleted' in deleted.stdout
    assert all(image["metadata"]["name"] != digest for image in cluster.list("images"))


def test_create_an_imagestreamtag_from_a_manifest(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "istag.yaml", json.dumps({
        "apiVersion": f"{GROUP}/v1", "kind": "ImageStreamTag", "metadata": {"name": "made:v9"},
        "tag": {"name": "v9", "from": {"kind": "DockerImage", "name": APP_V1}}}))

    result = kubectl.run("create", "-f", manifest)

    assert f"imagestreamtag.{GROUP}/made:v9 created" in result.stdout
    # The stream is created on the fly and the simulated import controller resolves the tag.
    stored = stored_stream(cluster, "made")
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v9"]
    assert kubectl.json("get", "istag", "made:v9")["image"]["dockerImageReference"].startswith(
        "quay.io/example/app@sha256:")


IMPORT_MANIFEST = json.dumps({
    "apiVersion": f"{GROUP}/v1", "kind": "ImageStreamImport", "metadata": {"name": "imported"},
    "spec": {"import": True, "images": [{"from": {"kind": "DockerImage", "name": APP_V2}, "to": {"name": "stable"}}]}})


def test_create_an_imagestreamimport_with_default_validation(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    # ImageStreamImport has no PATCH operation, so kubectl cannot learn from the OpenAPI v3 document
    # that the server validates fields; it falls back to GET /openapi/v2, which client-go requests
    # (and decodes) only as protobuf, to decide between server-side and client-side validation.
    manifest = write_manifest(tmp_path, "isi.yaml", IMPORT_MANIFEST)

    result = kubectl.run("create", "-f", manifest)

    assert f"imagestreamimport.{GROUP}/imported created" in result.stdout
    assert [tag["name"] for tag in stored_stream(cluster, "imported")["spec"]["tags"]] == ["stable"]


def test_create_an_imagestreamimport_without_client_validation(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "isi.yaml", IMPORT_MANIFEST)

    result = kubectl.run("create", "-f", manifest, "--validate=false")

    assert f"imagestreamimport.{GROUP}/imported created" in result.stdout
    istag = kubectl.json("get", "istag", "imported:stable")
    assert istag["image"]["dockerImageReference"].startswith("quay.io/example/app@sha256:")


# -- apply -----------------------------------------------------------------------------------------


def test_client_side_apply_creates_then_three_way_merges(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    first = write_manifest(tmp_path, "v1.yaml", stream_manifest("app", labels={"team": "a", "tier": "web"},
                                                                tags={"v1": APP_V1}))
    created = kubectl.run("apply", "-f", first)
    unchanged = kubectl.run("apply", "-f", first)
    # A label set by someone else survives the apply; one dropped from the manifest is removed.
    cluster.request("PATCH", cluster.url_path("imagestreams", NAMESPACE, "app"),
                    body={"metadata": {"labels": {"owner": "ops"}}},
                    headers={"Content-Type": "application/merge-patch+json"})
    second = write_manifest(tmp_path, "v2.yaml", stream_manifest("app", labels={"team": "b"},
                                                                 tags={"v1": APP_V1, "v2": APP_V2}))
    configured = kubectl.run("apply", "-f", second)

    assert f"{STREAM_KIND}/app created" in created.stdout
    assert f"{STREAM_KIND}/app unchanged" in unchanged.stdout
    assert f"{STREAM_KIND}/app configured" in configured.stdout
    stored = stored_stream(cluster, "app")
    assert stored["metadata"]["labels"] == {"team": "b", "owner": "ops"}
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v1", "v2"]
    last_applied = json.loads(stored["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last_applied["metadata"]["labels"] == {"team": "b"}


def test_client_side_apply_deletes_a_spec_tag_dropped_from_the_manifest(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    both = write_manifest(tmp_path, "both.yaml", stream_manifest("app", tags={"v1": APP_V1, "v2": APP_V2}))
    one = write_manifest(tmp_path, "one.yaml", stream_manifest("app", tags={"v1": APP_V1}))
    kubectl.run("apply", "-f", both)

    # kubectl finds spec.tags' merge key in the OpenAPI v3 document and sends a strategic merge
    # patch with $setElementOrder and a {"name": "v2", "$patch": "delete"} directive.
    result = kubectl.run("apply", "-f", one, "-v=8")

    assert "application/strategic-merge-patch+json" in result.stderr
    stored = stored_stream(cluster, "app")
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v1"]
    # server-semantics §5.5: removing a spec tag leaves its status tag in place.
    assert [tag["tag"] for tag in stored["status"]["tags"]] == ["v1", "v2"]


def test_apply_of_imagestreamtags(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    def istag_manifest(tag: str, reference: str) -> str:
        return write_manifest(tmp_path, f"{tag}.json", json.dumps({
            "apiVersion": f"{GROUP}/v1", "kind": "ImageStreamTag", "metadata": {"name": f"app:{tag}"},
            "tag": {"name": tag, "from": {"kind": "DockerImage", "name": reference}}}))
    imported = istag_manifest("v1", APP_V1)
    pending = istag_manifest("none", "quay.io/example/missing:1")

    first = kubectl.run("apply", "-f", imported)
    # Create does not copy metadata.annotations (kubectl's last-applied annotation) into the tag.
    annotations_after_create = stored_stream(cluster, "app")["spec"]["tags"][0]["annotations"]
    again = kubectl.run("apply", "-f", imported)
    kubectl.run("apply", "-f", pending)
    # An istag whose import failed has no image, so GET is 404 (server-semantics §6): apply cannot
    # see it and creates again, which the existing spec tag refuses.
    refused = kubectl.run("apply", "-f", pending, check=False)

    assert f"imagestreamtag.{GROUP}/app:v1 created" in first.stdout
    assert annotations_after_create is None
    assert f"imagestreamtag.{GROUP}/app:v1 configured" in again.stdout
    assert refused.returncode != 0
    assert f'imagestreamtag.{GROUP} "app:none" already exists' in refused.stderr


def test_server_side_apply_creates_and_updates(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    first = write_manifest(tmp_path, "v1.yaml", stream_manifest("app", labels={"team": "a"}, tags={"v1": APP_V1}))
    second = write_manifest(tmp_path, "v2.yaml", stream_manifest("app", labels={"team": "b"},
                                                                 tags={"v1": APP_V1, "v2": APP_V2}))

    created = kubectl.run("apply", "--server-side", "-f", first, "-v=6")
    generation = stored_stream(cluster, "app")["metadata"]["generation"]
    updated = kubectl.run("apply", "--server-side", "-f", second)

    assert f"{STREAM_KIND}/app serverside-applied" in created.stdout
    assert f"{STREAM_KIND}/app serverside-applied" in updated.stdout
    # Server-side apply is a PATCH (application/apply-patch+yaml) that creates the missing object.
    assert "PATCH" in created.stderr and "fieldManager=kubectl" in created.stderr
    stored = stored_stream(cluster, "app")
    assert stored["metadata"]["labels"] == {"team": "b"}
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v1", "v2"]
    assert stored["metadata"]["generation"] > generation


def test_server_side_apply_removes_fields_the_manager_no_longer_applies(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    both = write_manifest(tmp_path, "both.yaml", stream_manifest("app", labels={"team": "a", "tier": "web"},
                                                                 tags={"v1": APP_V1, "v2": APP_V2}))
    fewer = write_manifest(tmp_path, "fewer.yaml", stream_manifest("app", labels={"team": "a"},
                                                                   tags={"v1": APP_V1}))
    kubectl.run("apply", "--server-side", "-f", both)

    kubectl.run("apply", "--server-side", "-f", fewer)

    # The "kubectl" field manager owned tier and spec.tags[name=v2] (an associative list keyed by
    # name, server-semantics §9) and no longer applies them, so the server removes them.
    stored = stored_stream(cluster, "app")
    assert stored["metadata"]["labels"] == {"team": "a"}
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v1"]


def test_server_side_apply_conflicts_with_another_manager(kubectl: Kubectl, cluster: FakeCluster,
                                                         tmp_path: Path) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)
    kubectl.run("label", "is", "app", "team=ops")        # field manager "kubectl-label"
    manifest = write_manifest(tmp_path, "app.yaml", stream_manifest("app", labels={"team": "dev"}))

    refused = kubectl.run("apply", "--server-side", "-f", manifest, check=False)
    label_after_refusal = stored_stream(cluster, "app")["metadata"]["labels"]
    forced = kubectl.run("apply", "--server-side", "--force-conflicts", "-f", manifest)

    assert refused.returncode != 0
    assert 'conflict with "kubectl-label"' in refused.stderr and ".metadata.labels.team" in refused.stderr
    assert label_after_refusal == {"team": "ops"}
    assert f"{STREAM_KIND}/app serverside-applied" in forced.stdout
    assert stored_stream(cluster, "app")["metadata"]["labels"] == {"team": "dev"}


SAMPLES_STREAM = Path(__file__).resolve().parent.parent / "fake" / "data" / "nodejs-imagestream.yaml"


def _samples_cluster(cluster: FakeCluster) -> None:
    for repository in ("ubi8/nodejs-18", "ubi8/nodejs-16", "ubi8/nodejs-18-minimal"):
        cluster.registry.add_image(f"registry.access.redhat.com/{repository}:latest")


def test_client_side_apply_upgrades_to_server_side_apply_without_conflicts(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    # The documented upgrade path, on a samples-operator stream (tracking tag, policies, generation: null).
    _samples_cluster(cluster)
    manifest = write_manifest(tmp_path, "nodejs.yaml", SAMPLES_STREAM.read_text())
    kubectl.run("apply", "-f", manifest)
    before = stored_stream(cluster, "nodejs")

    upgraded = kubectl.run("apply", "--server-side", "-f", manifest)
    after_upgrade = stored_stream(cluster, "nodejs")
    revision = cluster.resource_version
    again = kubectl.run("apply", "--server-side", "-f", manifest)
    client_side = kubectl.run("apply", "-f", manifest)

    assert f"{STREAM_KIND}/nodejs serverside-applied" in upgraded.stdout
    assert after_upgrade["spec"] == before["spec"]
    # kubectl moves its client-side manager's fields to its server-side one (csaupgrade, a JSON patch
    # of managedFields) before it applies; the server takes managedFields a client sends as they are.
    managers = {(entry["manager"], entry["operation"]) for entry in after_upgrade["metadata"]["managedFields"]}
    assert managers == {("kubectl", "Apply"), ("kubectl-last-applied", "Apply")}
    # The server keeps the client-side apply annotation in step with what kubectl applied.
    last_applied = after_upgrade["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert last_applied.endswith("\n") and json.loads(last_applied)["spec"]["tags"][0]["name"] == "18-ubi8"
    # Re-applying the same file, either way, writes nothing.
    assert f"{STREAM_KIND}/nodejs serverside-applied" in again.stdout
    # The file's `generation: null` differs from the live generation, so kubectl's three-way diff
    # sends it (and says "configured", as against any server); the server merges the tag's generation
    # back, the object comes out as it was, and nothing is written.
    assert f"{STREAM_KIND}/nodejs configured" in client_side.stdout
    assert cluster.resource_version == revision
    assert stored_stream(cluster, "nodejs")["metadata"]["managedFields"] == after_upgrade["metadata"]["managedFields"]


def test_reapplying_an_unchanged_file_prints_unchanged_and_writes_nothing(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    _samples_cluster(cluster)
    # As a user keeps it after reading the live stream: tags in the server's order (by name; another
    # order makes kubectl send $setElementOrder every time), no `generation: null`.
    document = yaml.safe_load(SAMPLES_STREAM.read_text())
    document["spec"]["tags"] = sorted(document["spec"]["tags"], key=lambda tag: tag["name"])
    for tag in document["spec"]["tags"]:
        del tag["generation"]
    manifest = write_manifest(tmp_path, "nodejs.yaml", yaml.safe_dump(document))
    kubectl.run("apply", "-f", manifest)
    revision = cluster.resource_version
    stored = stored_stream(cluster, "nodejs")

    unchanged = kubectl.run("apply", "-f", manifest)
    after_unchanged = cluster.resource_version, stored_stream(cluster, "nodejs")
    server_side = kubectl.run("apply", "--server-side", "-f", manifest)
    server_side_again = kubectl.run("apply", "--server-side", "-f", manifest)
    upgraded_revision = cluster.resource_version
    client_side_again = kubectl.run("apply", "-f", manifest)

    assert f"{STREAM_KIND}/nodejs unchanged" in unchanged.stdout
    assert after_unchanged == (revision, stored)
    assert f"{STREAM_KIND}/nodejs serverside-applied" in server_side.stdout
    assert f"{STREAM_KIND}/nodejs serverside-applied" in server_side_again.stdout
    assert f"{STREAM_KIND}/nodejs unchanged" in client_side_again.stdout
    assert cluster.resource_version == upgraded_revision


def test_server_side_apply_takes_over_changed_fields_client_side_apply_set(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    # Fields recorded in the last-applied annotation, still at that value, move to kubectl's
    # server-side manager without --force-conflicts; a field someone else set still conflicts.
    _samples_cluster(cluster)
    original = SAMPLES_STREAM.read_text()
    kubectl.run("apply", "-f", write_manifest(tmp_path, "v1.yaml", original))
    changed = write_manifest(tmp_path, "v2.yaml", original.replace("type: Local\n  - name: latest",
                                                                   "type: Source\n  - name: latest"))
    upgraded = kubectl.run("apply", "--server-side", "-f", changed)
    stored = stored_stream(cluster, "nodejs")
    tag = next(tag for tag in stored["spec"]["tags"] if tag["name"] == "18-ubi8-minimal")
    assert f"{STREAM_KIND}/nodejs serverside-applied" in upgraded.stdout
    assert tag["referencePolicy"]["type"] == "Source"

    kubectl.run("annotate", "--overwrite", "is", "nodejs", "openshift.io/display-name=Node")
    renamed = write_manifest(tmp_path, "v3.yaml", original.replace("openshift.io/display-name: Node.js\n",
                                                                   "openshift.io/display-name: NodeJS\n"))
    refused = kubectl.run("apply", "--server-side", "-f", renamed, check=False)
    assert refused.returncode != 0
    assert ('Apply failed with 1 conflict: conflict with "kubectl-annotate" using image.openshift.io/v1: '
            ".metadata.annotations.openshift.io/display-name") in refused.stderr


def test_server_side_apply_refuses_an_unknown_field(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "bad.yaml", stream_manifest("bad", bogusField=1))

    result = kubectl.run("apply", "--server-side", "-f", manifest, check=False)

    assert result.returncode != 0
    assert "bogusField" in result.stderr
    with pytest.raises(StatusError):
        stored_stream(cluster, "bad")


def test_server_dry_run_apply_creates_nothing(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "dry.yaml", stream_manifest("dry", tags={"v1": APP_V1}))
    revision = cluster.resource_version

    result = kubectl.run("apply", "--dry-run=server", "-f", manifest)

    assert f"{STREAM_KIND}/dry created (server dry run)" in result.stdout
    assert cluster.list("imagestreams", NAMESPACE) == []
    assert cluster.resource_version == revision


def test_diff_is_a_dry_run_that_changes_nothing(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    kubectl.run("apply", "-f", write_manifest(tmp_path, "a.yaml", stream_manifest("app", labels={"team": "a"})))
    before = stored_stream(cluster, "app")

    # kubectl diff exits 1 when the live and the merged (dryRun=All) objects differ.
    result = kubectl.run("diff", "-f", write_manifest(tmp_path, "b.yaml",
                                                      stream_manifest("app", labels={"team": "b"})), check=False)

    assert result.returncode == 1, result.stderr
    assert "-    team: a" in result.stdout and "+    team: b" in result.stdout
    assert stored_stream(cluster, "app") == before


# -- patch, label, replace, delete -----------------------------------------------------------------


@pytest.mark.parametrize(("patch_type", "patch", "expected_tags"), [
    # A merge patch replaces the whole list.
    ("merge", {"spec": {"tags": [{"name": "v2", "from": {"kind": "DockerImage", "name": APP_V2}}]}}, ["v2"]),
    # A JSON patch appends to the sorted list the server returns.
    ("json", [{"op": "add", "path": "/spec/tags/-",
               "value": {"name": "v2", "from": {"kind": "DockerImage", "name": APP_V2}}}], ["v1", "v2"]),
    # A strategic merge patch merges spec.tags on their "name" key (server-semantics §9).
    ("strategic", {"spec": {"tags": [{"name": "v2", "from": {"kind": "DockerImage", "name": APP_V2}}]}},
     ["v1", "v2"]),
])
def test_patch_types_change_spec_tags(kubectl: Kubectl, cluster: FakeCluster, patch_type: str, patch: Any,
                                      expected_tags: list[str]) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)
    before = stored_stream(cluster, "app")

    result = kubectl.run("patch", "is", "app", f"--type={patch_type}", "-p", json.dumps(patch))

    assert f"{STREAM_KIND}/app patched" in result.stdout
    after = stored_stream(cluster, "app")
    assert [tag["name"] for tag in after["spec"]["tags"]] == expected_tags
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    assert after["metadata"]["generation"] > before["metadata"]["generation"]


def test_strategic_patch_directives(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", labels={"a": "1", "b": "2"},
                                                              tags={"v1": APP_V1, "v2": APP_V2})),
                   namespace=NAMESPACE)
    patch = {"metadata": {"labels": {"a": None}}, "spec": {"tags": [{"name": "v1", "$patch": "delete"}]}}

    kubectl.run("patch", "is", "app", "--type=strategic", "-p", json.dumps(patch))

    stored = stored_stream(cluster, "app")
    assert stored["metadata"]["labels"] == {"b": "2"}
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v2"]


def test_json_patch_with_a_failing_test_op_is_invalid(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", labels={"b": "2"})), namespace=NAMESPACE)
    patch = [{"op": "test", "path": "/metadata/labels/b", "value": "3"},
             {"op": "remove", "path": "/metadata/labels/b"}]

    result = kubectl.run("patch", "is", "app", "--type=json", "-p", json.dumps(patch), check=False)

    # A patch that cannot be applied is a 422 without details, which kubectl words like this.
    assert result.returncode != 0
    assert "The request is invalid" in result.stderr
    assert stored_stream(cluster, "app")["metadata"]["labels"] == {"b": "2"}


def test_patch_of_a_label_only_keeps_the_generation(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)
    generation = stored_stream(cluster, "app")["metadata"]["generation"]

    kubectl.run("patch", "is", "app", "--type=merge", "-p", '{"metadata":{"labels":{"team":"a"}}}')

    stored = stored_stream(cluster, "app")
    assert stored["metadata"]["labels"] == {"team": "a"}
    assert stored["metadata"]["generation"] == generation


def test_patch_with_an_invalid_tag_reference_is_invalid(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)
    patch = {"spec": {"tags": [{"name": "bad", "from": {"kind": "Nonsense", "name": "x"}}]}}

    result = kubectl.run("patch", "is", "app", "--type=strategic", "-p", json.dumps(patch), check=False)

    assert result.returncode != 0
    assert 'The ImageStream "app" is invalid' in result.stderr
    assert "spec.tags[bad].from.kind" in result.stderr


def test_label_adds_refuses_to_overwrite_then_overwrites_and_removes(
        kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)

    added = kubectl.run("label", "is", "app", "team=a", "tier=web")
    refused = kubectl.run("label", "is", "app", "team=b", check=False)
    overwritten = kubectl.run("label", "is", "app", "team=b", "--overwrite")
    removed = kubectl.run("label", "is", "app", "tier-")

    assert f"{STREAM_KIND}/app labeled" in added.stdout
    assert refused.returncode != 0 and "--overwrite is false" in refused.stderr
    assert f"{STREAM_KIND}/app labeled" in overwritten.stdout
    assert f"{STREAM_KIND}/app unlabeled" in removed.stdout
    assert stored_stream(cluster, "app")["metadata"]["labels"] == {"team": "b"}
    assert kubectl.run("get", "is", "-l", "team=b", "-o", "name").stdout.split() == [f"{STREAM_KIND}/app"]


def test_status_subresource_patch_keeps_spec_tags_and_generation(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)
    before = stored_stream(cluster, "app")
    patch = {"metadata": {"labels": {"via": "status"}},
             "spec": {"tags": None, "lookupPolicy": {"local": True}}}

    result = kubectl.run("patch", "is", "app", "--subresource=status", "--type=merge", "-p", json.dumps(patch))

    assert f"{STREAM_KIND}/app patched" in result.stdout
    after = stored_stream(cluster, "app")
    # server-semantics §5.5: spec.tags are copied back, the generation stays, labels are persisted
    # and (the real server's quirk) spec.lookupPolicy is not reset.
    assert after["spec"]["tags"] == before["spec"]["tags"]
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["metadata"]["labels"] == {"via": "status"}
    assert after["spec"]["lookupPolicy"] == {"local": True}


def test_edit_sends_the_change_made_in_the_editor(kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", labels={"team": "a"}, tags={"v1": APP_V1})),
                   namespace=NAMESPACE)
    editor = tmp_path / "editor.py"
    editor.write_text(f"#!{sys.executable}\n"
                      "import pathlib, sys\n"
                      "path = pathlib.Path(sys.argv[-1])\n"
                      "path.write_text(path.read_text().replace('team: a', 'team: edited'))\n")
    editor.chmod(0o755)

    result = kubectl.run("edit", "is", "app", env={"KUBE_EDITOR": str(editor)})

    assert f"{STREAM_KIND}/app edited" in result.stdout
    assert stored_stream(cluster, "app")["metadata"]["labels"] == {"team": "edited"}


def test_annotating_an_istag_annotates_the_spec_tag(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)

    result = kubectl.run("annotate", "istag", "app:v1", "note=hello")

    # server-semantics §6 UPDATE: the istag's metadata.annotations become the spec tag's annotations.
    assert f"imagestreamtag.{GROUP}/app:v1 annotated" in result.stdout
    assert stored_stream(cluster, "app")["spec"]["tags"][0]["annotations"] == {"note": "hello"}


def test_labelling_an_istag_is_invalid(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)

    result = kubectl.run("label", "istag", "app:v1", "x=y", check=False)

    # Only tag and metadata.annotations of an istag may change (server-semantics §6).
    assert result.returncode != 0
    assert 'The ImageStreamTag "app:v1" is invalid' in result.stderr
    assert "may not update fields other than metadata.annotations" in result.stderr


def test_patching_an_istag_retargets_the_tag(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)
    old_image = kubectl.json("get", "istag", "app:v1")["image"]["metadata"]["name"]

    kubectl.run("patch", "istag", "app:v1", "--type=merge", "-p", json.dumps({"tag": {"from": {"name": APP_V2}}}))
    istag = kubectl.json("get", "istag", "app:v1")

    assert istag["tag"]["from"]["name"] == APP_V2
    # The changed reference is imported again (simulated import controller): a different image.
    assert istag["image"]["metadata"]["name"] != old_image


def test_patching_an_itag_spec(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)

    kubectl.run("patch", "itag", "app:v1", "--type=merge", "-p", json.dumps({"spec": {"from": {"name": APP_V2}}}))

    assert stored_stream(cluster, "app")["spec"]["tags"][0]["from"]["name"] == APP_V2


def test_replace_with_a_stale_resource_version_is_a_conflict(
        kubectl: Kubectl, cluster: FakeCluster, tmp_path: Path) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)
    stale = kubectl.json("get", "is", "app")
    kubectl.run("label", "is", "app", "moved=on")
    stale["metadata"]["labels"] = {"mine": "yes"}
    manifest = write_manifest(tmp_path, "stale.json", json.dumps(stale))

    result = kubectl.run("replace", "-f", manifest, check=False)

    assert result.returncode != 0
    assert f'Operation cannot be fulfilled on imagestreams.{GROUP} "app": the object has been modified' \
        in result.stderr
    assert stored_stream(cluster, "app")["metadata"]["labels"] == {"moved": "on"}


def test_replace_fills_in_the_live_resource_version(kubectl: Kubectl, cluster: FakeCluster,
                                                    tmp_path: Path) -> None:
    # The server refuses a PUT without resourceVersion (no unconditional update); kubectl replace
    # copes by reading the live object first and copying its resourceVersion into the body.
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)
    manifest = write_manifest(tmp_path, "app.yaml", stream_manifest("app", labels={"team": "r"}))

    result = kubectl.run("replace", "-f", manifest, "-v=6")

    assert f"{STREAM_KIND}/app replaced" in result.stdout
    assert "GET" in result.stderr and "PUT" in result.stderr
    assert stored_stream(cluster, "app")["metadata"]["labels"] == {"team": "r"}


def test_delete_removes_the_stream_then_reports_not_found(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1})), namespace=NAMESPACE)

    deleted = kubectl.run("delete", "is", "app")
    again = kubectl.run("delete", "is", "app", check=False)

    assert f'{STREAM_KIND} "app" deleted' in deleted.stdout
    with pytest.raises(StatusError) as missing:
        stored_stream(cluster, "app")
    assert missing.value.code == 404
    assert again.returncode != 0
    assert f'Error from server (NotFound): imagestreams.{GROUP} "app" not found' in again.stderr
    # Deleting a stream leaves its images alone.
    assert cluster.list("images")


def test_delete_with_server_dry_run_keeps_the_stream(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)

    result = kubectl.run("delete", "is", "app", "--dry-run=server")

    assert f'{STREAM_KIND} "app" deleted (server dry run)' in result.stdout
    assert stored_stream(cluster, "app")["metadata"]["name"] == "app"


def test_wait_for_delete_sees_the_deletion(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)
    # kubectl wait succeeds silently when the object is already gone at its first read, so delete
    # only once its watch (fieldSelector=metadata.name, from the list's resourceVersion) is logged.
    waiter = kubectl.start("wait", "--for=delete", "is/app", "--timeout=15s", "-v=6", request_timeout="15s")
    try:
        waiter.wait_for_log("watch=true")
        cluster.delete("imagestreams", "app", namespace=NAMESPACE)
        line = waiter.next_line()
    finally:
        waiter.stop()

    assert line == f"{STREAM_KIND}/app condition met"


def test_delete_istag_removes_spec_and_status_tag(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", tags={"v1": APP_V1, "v2": APP_V2})),
                   namespace=NAMESPACE)

    result = kubectl.run("delete", "istag", "app:v1")

    assert f'imagestreamtag.{GROUP} "app:v1" deleted' in result.stdout
    stored = stored_stream(cluster, "app")
    assert [tag["name"] for tag in stored["spec"]["tags"]] == ["v2"]
    assert [tag["tag"] for tag in stored["status"]["tags"]] == ["v2"]


def test_delete_by_label_selector(kubectl: Kubectl, cluster: FakeCluster) -> None:
    for name, team in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        cluster.create("imagestreams", json.loads(stream_manifest(name, labels={"team": team})),
                       namespace=NAMESPACE)

    kubectl.run("delete", "is", "-l", "team=a")

    assert [item["metadata"]["name"] for item in cluster.list("imagestreams", NAMESPACE)] == ["b1"]


# -- pull secrets (core v1) -----------------------------------------------------------------------


def _secrets_seen_by_streams(kubectl: Kubectl) -> list[tuple[str, str]]:
    listed = json.loads(kubectl.run("get", "--raw",
                                    f"/apis/{GROUP}/v1/namespaces/{NAMESPACE}/imagestreams/any/secrets").stdout)
    assert listed["kind"] == "SecretList" and listed["apiVersion"] == f"{GROUP}/v1"
    return [(item["metadata"]["name"], item["type"]) for item in listed["items"]]


def test_imagestream_secrets_lists_the_pull_secrets_created_from_manifests(kubectl: Kubectl,
                                                                           tmp_path: Path) -> None:
    secrets = {"pull": ("kubernetes.io/dockerconfigjson", {".dockerconfigjson": "e30="}),
               "plain": ("Opaque", {"a": "Yg=="})}
    for name, (secret_type, data) in secrets.items():
        manifest = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "type": secret_type,
                    "data": data}
        kubectl.run("create", "-f", write_manifest(tmp_path, f"{name}.json", json.dumps(manifest)))

    # server-semantics §5.8: only dockercfg/dockerconfigjson secrets; the stream need not exist.
    assert _secrets_seen_by_streams(kubectl) == [("pull", "kubernetes.io/dockerconfigjson")]


def test_create_secret_docker_registry(kubectl: Kubectl) -> None:
    # "kubectl create secret" builds a typed core/v1 Secret and, like every typed client-go client
    # of a built-in kind, sends it as application/vnd.kubernetes.protobuf.
    result = kubectl.run("create", "secret", "docker-registry", "pull", "--docker-server=quay.io",
                         "--docker-username=user", "--docker-password=secret")

    assert "secret/pull created" in result.stdout
    assert _secrets_seen_by_streams(kubectl) == [("pull", "kubernetes.io/dockerconfigjson")]


def test_namespaces_created_and_deleted_with_kubectl(tmp_path: Path) -> None:
    strict = make_cluster(require_namespaces=True)
    manifest = write_manifest(tmp_path, "app.json", stream_manifest("app"))
    with kubectl_for(strict, tmp_path) as kubectl:
        missing = kubectl.run("create", "-f", manifest, "-n", "team", check=False)
        # "kubectl create namespace" is another typed (protobuf) client-go call.
        kubectl.run("create", "namespace", "team")
        kubectl.run("create", "-f", manifest, "-n", "team")
        streams_before = kubectl.run("get", "is", "-A", "-o", "name").stdout.split()
        kubectl.run("delete", "namespace", "team")
        streams_after = kubectl.run("get", "is", "-A", "-o", "name").stdout.split()
    strict.close()

    # server-semantics §2 (NamespaceLifecycle): creating in a missing namespace is 404.
    assert missing.returncode != 0 and 'namespaces "team" not found' in missing.stderr
    assert streams_before == [f"{STREAM_KIND}/app"]
    assert streams_after == []


# -- explain ---------------------------------------------------------------------------------------


def test_explain_reads_the_openapi_v3_document(kubectl: Kubectl) -> None:
    result = kubectl.run("explain", "imagestreams.spec.tags", "-v=6")

    assert "/openapi/v3/apis/image.openshift.io/v1" in result.stderr
    assert "KIND:       ImageStream" in result.stdout
    assert "FIELD: tags <[]TagReference>" in result.stdout
    assert "name\t<string> -required-" in result.stdout
    for field in ("from\t<ObjectReference>", "importPolicy\t<TagImportPolicy>",
                  "referencePolicy\t<TagReferencePolicy>", "generation\t<integer>"):
        assert field in result.stdout


def test_explain_by_short_name_follows_nested_fields(kubectl: Kubectl) -> None:
    result = kubectl.run("explain", "istag.image.dockerImageReference")

    assert "KIND:       ImageStreamTag" in result.stdout
    assert "FIELD: dockerImageReference <string>" in result.stdout


# -- watch -----------------------------------------------------------------------------------------

WATCH_TEMPLATE = '{.type} {.object.metadata.name} {.object.metadata.labels.step}{"\\n"}'


def _set_label(cluster: FakeCluster, name: str, **labels: str) -> dict[str, Any]:
    """Merge-patch labels onto a stream in process; returns the patched stream."""
    status, body = cluster.request("PATCH", cluster.url_path("imagestreams", NAMESPACE, name),
                                   body={"metadata": {"labels": labels}},
                                   headers={"Content-Type": "application/merge-patch+json"})
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def test_watch_prints_the_list_then_each_change(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("first", labels={"step": "0"})), namespace=NAMESPACE)
    with_revision = '{.type} {.object.metadata.name} {.object.metadata.labels.step} ' \
                    '{.object.metadata.resourceVersion}{"\\n"}'
    watch = kubectl.start("get", "is", "-w", "--output-watch-events", "-o", f"jsonpath={with_revision}",
                          request_timeout="15s")
    try:
        # The initial list comes first; changes made after it reach kubectl's watch, which starts
        # from the list's resourceVersion, whenever it connects.
        initial = watch.next_line()
        modified = _set_label(cluster, "first", step="1")
        created = cluster.create("imagestreams", json.loads(stream_manifest("second", labels={"step": "2"})),
                                 namespace=NAMESPACE)
        cluster.delete("imagestreams", "first", namespace=NAMESPACE)
        deleted_at = cluster.resource_version
        events = [watch.next_line() for _ in range(3)]
    finally:
        watch.stop()

    assert initial.startswith("ADDED first 0 ")
    # server-semantics §14: DELETED carries the last state at the deletion's resourceVersion.
    assert events == [f"MODIFIED first 1 {modified['metadata']['resourceVersion']}",
                      f"ADDED second 2 {created['metadata']['resourceVersion']}",
                      f"DELETED first 1 {deleted_at}"]


def test_watch_with_a_selector_sees_objects_enter_and_leave(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app", labels={"team": "a", "step": "0"})),
                   namespace=NAMESPACE)
    watch = kubectl.start("get", "is", "-w", "-l", "team=a", "--output-watch-events",
                          "-o", f"jsonpath={WATCH_TEMPLATE}", request_timeout="15s")
    try:
        assert watch.next_line() == "ADDED app 0"
        _set_label(cluster, "app", team="b", step="1")    # leaves the selection
        _set_label(cluster, "app", step="2")              # outside it: no event
        _set_label(cluster, "app", team="a", step="3")    # comes back
        events = [watch.next_line() for _ in range(2)]
    finally:
        watch.stop()

    # server-semantics §14: leaving is DELETED with the old object, entering is ADDED.
    assert events == ["DELETED app 0", "ADDED app 3"]


@pytest.mark.parametrize("flavour", ["current", "4.17"])
def test_watch_of_one_stream_ignores_the_others(tmp_path: Path, flavour: str) -> None:
    # Both flavours answer a watch from resourceVersion "0" with the current state first: "current"
    # through the defaulted initial events, "4.17" as a plain watch from any state.
    cluster = make_cluster(flavour=flavour)
    for name in ("app", "other"):
        cluster.create("imagestreams", json.loads(stream_manifest(name, labels={"step": "0"})), namespace=NAMESPACE)
    with kubectl_for(cluster, tmp_path) as kubectl:
        # For a single object kubectl GETs it, then watches with fieldSelector=metadata.name and
        # resourceVersion=0 and drops the watch's first (synthetic ADDED) event. A change made before
        # the watch is established would be folded into that dropped event, so wait for kubectl's log
        # of the watch response (-v=6) before changing anything.
        watch = kubectl.start("get", "is", "app", "-w", "--output-watch-events",
                              "-o", f"jsonpath={WATCH_TEMPLATE}", "-v=6", request_timeout="15s")
        try:
            assert watch.next_line() == "ADDED app 0"
            established = watch.wait_for_log("watch=true")
            _set_label(cluster, "other", step="1")
            _set_label(cluster, "app", step="2")
            event = watch.next_line()
        finally:
            watch.stop()
    cluster.close()

    assert "fieldSelector=metadata.name%3Dapp" in established and "resourceVersion=0" in established
    assert "200 OK" in established
    assert event == "MODIFIED app 2"


def test_watch_ends_with_the_request_timeout(kubectl: Kubectl, cluster: FakeCluster) -> None:
    cluster.create("imagestreams", json.loads(stream_manifest("app")), namespace=NAMESPACE)

    # --request-timeout also bounds the watch request; kubectl then exits by itself.
    result = kubectl.run("get", "is", "-w", "-o", "name", request_timeout="2s", check=False)

    assert result.stdout.split() == [f"{STREAM_KIND}/app"]

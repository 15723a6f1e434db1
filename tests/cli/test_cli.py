"""The ``imageapi`` command against the fake cluster served on loopback, called in process.

Each test reads what a person sees: stdout, the one-line error on stderr, and the exit status.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from imageapi.testing import FakeCluster

from .conftest import Run


def test_get_is_prints_oc_columns(kubeconfig: Path, cli: Run) -> None:
    status, out, err = cli("get", "is", "-n", "demo")
    assert status == 0 and err == ""
    header, row = out.splitlines()
    assert header.split() == ["NAME", "IMAGE", "REPOSITORY", "TAGS", "UPDATED"]
    assert row.split()[:3] == ["hello", "image-registry.openshift-image-registry.svc:5000/demo/hello", "1.0,latest"]
    assert row.endswith(" ago")
    # The context's namespace is the default, as for kubectl.
    assert [line.split()[0] for line in cli("get", "imagestreams")[1].splitlines()] == ["NAME", "hello"]


def test_get_names_and_formats(kubeconfig: Path, cli: Run) -> None:
    status, out, _ = cli("get", "istag", "hello:1.0", "-o", "json")
    document = json.loads(out)
    assert status == 0 and document["kind"] == "ImageStreamTag" and document["metadata"]["name"] == "hello:1.0"
    assert "managedFields" not in document["metadata"]

    status, out, _ = cli("get", "is/hello", "-o", "yaml")
    stream = yaml.safe_load(out)
    assert stream["kind"] == "ImageStream" and "managedFields" not in stream["metadata"]
    assert "managedFields" in yaml.safe_load(cli("get", "is", "hello", "-o", "yaml",
                                                 "--show-managed-fields")[1])["metadata"]

    listed = yaml.safe_load(cli("get", "istag", "-o", "yaml")[1])
    assert listed["kind"] == "List" and [i["metadata"]["name"] for i in listed["items"]] == ["hello:1.0", "hello:latest"]

    assert cli("get", "is", "-o", "name")[1] == "imagestream.image.openshift.io/hello\n"
    wide = cli("get", "istag", "-o", "wide")[1].splitlines()
    assert wide[0].split()[-2:] == ["IMAGE", "NAME"] and wide[1].split()[-1].startswith("sha256:")


def test_all_namespaces_selectors_and_empty_lists(kubeconfig: Path, cluster: FakeCluster,
                                                  cli: Run) -> None:
    cluster.add_namespace("other")
    cluster.create("imagestreams", {"metadata": {"name": "web", "labels": {"app": "web"}}}, namespace="other")
    out = cli("get", "is", "-A")[1].splitlines()
    assert out[0].split()[0] == "NAMESPACE" and [line.split()[:2] for line in out[1:]] == [
        ["demo", "hello"], ["other", "web"]]
    assert [line.split()[1] for line in cli("get", "is", "-A", "-l", "app=web")[1].splitlines()[1:]] == ["web"]
    assert cli("get", "is", "-A", "--field-selector", "metadata.name=hello", "-o", "name")[1] == (
        "imagestream.image.openshift.io/hello\n")
    status, out, err = cli("get", "is", "-n", "other", "-l", "app=none")
    assert (status, out, err) == (0, "", "No resources found in other namespace.\n")


def test_errors_are_one_line_with_exit_codes(kubeconfig: Path, cli: Run) -> None:
    status, out, err = cli("get", "is", "nope")
    assert (status, out) == (1, "")
    assert err == 'error: imagestreams.image.openshift.io "nope" not found\n'

    for argv, fragment in [
        (("get", "pods"), "doesn't have a resource type 'pods'"),
        (("get",), "the following arguments are required"),
        (("get", "is", "-o", "xml"), "invalid choice"),
        (("get", "is", "x", "-l", "a=b"), "cannot be combined with a selector"),
        (("get", "isimage"), "cannot be listed"),
        (("watch", "istag"), "does not support 'watch'"),
        (("frobnicate",), "invalid choice"),
    ]:
        status, out, err = cli(*argv)
        assert status == 2, argv
        assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err


def test_missing_kubeconfig_is_one_line_and_debug_shows_the_traceback(
        tmp_path: Path, cli: Run) -> None:
    status, _, err = cli("get", "is", "--kubeconfig", str(tmp_path / "absent"))
    assert status == 1 and err.count("\n") == 1
    assert err.startswith(f"error: kubeconfig {tmp_path / 'absent'}: cannot read the file")
    status, _, err = cli("get", "is", "--kubeconfig", str(tmp_path / "absent"), "--debug")
    assert status == 1 and "Traceback (most recent call last)" in err and err.splitlines()[-1].startswith("error: ")


def test_apply_then_get(kubeconfig: Path, tmp_path: Path, cli: Run) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(
        "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: web\n  labels: {app: web}\n"
        "spec:\n  lookupPolicy: {local: true}\n---\n"
        "apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata: {name: api}\n")
    status, out, _ = cli("apply", "-f", str(manifest), "--dry-run")
    assert status == 0 and out.splitlines()[0] == "imagestream.image.openshift.io/web serverside-applied (server dry run)"
    assert cli("get", "is", "web")[0] == 1  # a dry run stored nothing
    status, out, _ = cli("apply", "-f", str(manifest))
    assert out == ("imagestream.image.openshift.io/web serverside-applied\n"
                   "imagestream.image.openshift.io/api serverside-applied\n")
    applied = json.loads(cli("get", "is", "web", "-o", "json", "--show-managed-fields")[1])
    assert applied["spec"]["lookupPolicy"] == {"local": True}
    assert any(m["manager"] == "imageapi" and m["operation"] == "Apply" for m in applied["metadata"]["managedFields"])

    manifest.write_text("apiVersion: image.openshift.io/v1\nkind: ImageStream\nmetadata:\n  name: [web\n")
    status, _, err = cli("apply", "-f", str(manifest))
    assert status == 1 and err.startswith(f"error: {manifest}:4:9: not valid YAML") and err.count("\n") == 1


def test_version_and_completion(cli: Run) -> None:
    import imageapi

    assert cli("version")[1] == f"imageapi {imageapi.__version__} (image.openshift.io/v1)\n"
    with pytest.raises(SystemExit) as info:
        cli("--version")
    assert info.value.code == 0
    for shell in ("bash", "zsh"):
        status, script, _ = cli("completion", shell)
        assert status == 0 and "complete -F _imageapi_complete imageapi" in script
        for word in ("get", "describe", "watch", "apply", "serve", "--namespace", "--output", "istag"):
            assert word in script
    assert cli("completion", "bash")[1].startswith("_imageapi_complete()")
    assert cli("completion", "zsh")[1].startswith("#compdef imageapi")


def test_serve_on_a_busy_port_or_into_a_missing_folder_is_one_line(
        tmp_path: Path, cli: Run) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, _, err = cli("serve", "--port", str(port), "--token", "t")
    assert status == 1 and err.count("\n") == 1
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}: ") and "in use" in err
    status, _, err = cli("serve", "--kubeconfig", str(tmp_path / "missing" / "kubeconfig"))
    assert status == 1 and err.count("\n") == 1 and str(tmp_path / "missing" / "kubeconfig") in err


def test_describe(kubeconfig: Path, cli: Run) -> None:
    status, out, _ = cli("describe", "is", "hello", "-n", "demo")
    assert status == 0
    assert out.splitlines()[0].split() == ["Name:", "hello"] and "demo" in out.splitlines()[1]
    assert "app=hello" in out and "image-registry.openshift-image-registry.svc:5000/demo/hello" in out
    status, out, _ = cli("describe", "istag", "hello:1.0")
    lines = dict(line.split(":", 1) for line in out.splitlines() if ":" in line and not line.startswith(" "))
    assert lines["Name"].strip() == "hello:1.0" and lines["Image"].strip().startswith("sha256:")
    assert lines["Size"].strip().endswith("MiB") and lines["Tagged from"].strip() == "DockerImage quay.io/example/hello:1.0"
    assert cli("describe", "is", "nope")[0] == 1


def test_debug_also_shows_the_low_level_error_behind_an_api_error(
        tmp_path: Path, cli: Run) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "users: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u, namespace: demo}}]\n")
    status, _, err = cli("get", "is", "--kubeconfig", str(config))
    assert status == 1 and err.count("\n") == 1 and "ConnectError" in err
    status, _, err = cli("get", "is", "--kubeconfig", str(config), "--debug")
    assert status == 1 and "The low-level error behind it:" in err and "httpx.ConnectError" in err
    assert err.splitlines()[-1].startswith("error: ")

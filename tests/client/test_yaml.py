"""The kubeconfig YAML subset: same results as PyYAML on realistic files, clear errors otherwise."""

from __future__ import annotations

import json
import math
import random
import re
from typing import Any

import pytest
import yaml

from imageapi._yaml import YAMLError, load


class _NoTimestampLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without timestamp resolution (ours keeps timestamps as strings)."""


_NoTimestampLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def pyyaml(text: str) -> Any:
    return yaml.load(text, Loader=_NoTimestampLoader)  # a SafeLoader subclass: safe


KUBECTL_WRITTEN = """\
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=
    server: https://api.crc.testing:6443
  name: api-crc-testing:6443
- cluster:
    insecure-skip-tls-verify: true
    server: https://127.0.0.1:8443
  name: local
contexts:
- context:
    cluster: api-crc-testing:6443
    namespace: default
    user: kubeadmin/api-crc-testing:6443
  name: default/api-crc-testing:6443/kubeadmin
- context:
    cluster: local
    user: dev
  name: dev
current-context: default/api-crc-testing:6443/kubeadmin
kind: Config
preferences: {}
users:
- name: kubeadmin/api-crc-testing:6443
  user:
    token: sha256~abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
- name: dev
  user:
    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==
"""

HAND_EDITED = """\
# A hand-edited kubeconfig with comments, quoting and an exec plugin
---
apiVersion: v1
kind: Config
current-context: "prod"   # quoted with a comment
clusters:
  - name: prod
    cluster:
      server: 'https://prod.example.com:6443'
      tls-server-name: api.prod.internal
      proxy-url: http://proxy.example.com:3128
      certificate-authority: /etc/pki/ca.crt

  - name: "with \\"escapes\\"\\tand tab"
    cluster: {server: "https://10.0.0.1", insecure-skip-tls-verify: yes}
contexts:
  - name: prod
    context: {cluster: prod, user: oidc, namespace: images}
users:
  - name: oidc
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1
        command: kubectl
        args:
          - oidc-login
          - get-token
          - --oidc-issuer-url=https://issuer.example.com
          - "--oidc-client-id=kubernetes"
        env:
          - name: FOO
            value: "1"
          - {name: BAR, value: two}
        provideClusterInfo: true
        interactiveMode: Never
        installHint: |
          Install kubelogin:
            go install github.com/int128/kubelogin@latest

          Then run again.
  - name: basic
    user:
      username: admin
      password: 'it''s secret'
  - name: empty
    user: {}
  - name: tokenfile
    user:
      tokenFile: /var/run/token
"""

SCALARS = """\
ints: [0, 7, -3, +4, 0x1F, 0b101, 017, 1_000]
floats: [1.5, -0.25, .5, 1.0e+3, .inf, -.Inf]
nulls: [~, null, Null, NULL, ]
bools: [true, False, yes, No, on, OFF]
strings: [1e3, 08, 1.2.3, v1, "true", '42', 'a:b', http://x:80/y]
empty:
tilde: ~
colon-in-value: a:b:c
hash-in-value: a#b
url: https://example.com/#anchor
date: 2024-01-02T03:04:05Z
single: 'one ''two'' three'
double: "line\\nbreak \\u00e9\\x41\\U0001F600 \\\\ \\" \\/"
spaced key with words: value
"quoted key": 1
'single key': 2
? not-complex
"""

FOLDING = """\
literal: |
  line one
    indented
  line three

literal-strip: |-
  text

literal-keep: |+
  kept


folded: >
  folded
  into one

  new paragraph
    more indented
  back
folded-strip: >-
  a
  b
explicit: |2
    starts indented
  base
plain multi: this plain
  scalar continues
  over lines
quoted multi: "first
  second

  third"
single multi: 'a
  b'
flow multi: [a,
  b, {c: d,
      e: f}]   # comment
last: end
"""

NESTED = """\
top:
  list:
  - a
  - b
  -
    - nested
    - seq
  - - compact
    - nested
  - key: value
    other: 2
    deeper:
      - x
  - {flow: map}
  - []
  - {}
  after: list
sibling: true
"""

JSON_CONFIG = json.dumps({
    "apiVersion": "v1", "kind": "Config", "clusters": [{"name": "c", "cluster": {"server": "https://h"}}],
    "users": [{"name": "u", "user": {"token": "t\u00e9"}}], "preferences": {}, "current-context": "",
})

CORPUS = {
    "kubectl": KUBECTL_WRITTEN,
    "hand-edited": HAND_EDITED,
    "json": JSON_CONFIG,
    "nested": NESTED,
    "folding": FOLDING,
    "scalars": SCALARS.replace('? not-complex\n', ''),
    "yaml-flow-not-json": "{apiVersion: v1, kind: Config, users: [{name: u, user: {token: abc}}]}",
    "document-start-inline": "--- {a: 1}\n",
    "top-level-sequence": "- a\n- b: c\n  d: e\n",
    "top-level-scalar": "just text\n",
    "empty": "# nothing here\n",
    "crlf": "a: 1\r\nb:\r\n  - x\r\n",
}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_matches_pyyaml(name: str) -> None:
    text = CORPUS[name]
    ours = load(text)
    theirs = pyyaml(text)
    assert same(ours, theirs), f"{name}:\nours   {ours!r}\npyyaml {theirs!r}"


def test_bytes_and_bom() -> None:
    assert load("\ufeffa: 1\n".encode()) == {"a": 1}


def test_spot_values() -> None:
    config = load(HAND_EDITED)
    exec_config = config["users"][0]["user"]["exec"]
    assert exec_config["args"][3] == "--oidc-client-id=kubernetes"
    assert exec_config["env"][1] == {"name": "BAR", "value": "two"}
    assert exec_config["installHint"].startswith("Install kubelogin:\n  go install")
    assert config["users"][1]["user"]["password"] == "it's secret"
    assert config["clusters"][1]["cluster"]["insecure-skip-tls-verify"] is True
    assert load("a: 1\n...\nignored: after the end marker\n") == {"a": 1}
    assert load(FOLDING)["folded"] == "folded into one\nnew paragraph\n  more indented\nback\n"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\nb: &anchor 2\n", 2, "anchors"),
        ("a: *alias\n", 1, "anchors"),
        ("a: !!str 1\n", 1, "tags"),
        ("a: 1\na: 2\n", 2, "duplicate key"),
        ("a:\n  b: 1\n c: 2\n", 3, "indentation"),
        ("a: 1\n\tb: 2\n", 2, "tabs"),
        ('a: "unterminated\n', 1, "unterminated"),
        ("a: [1, 2\n", 1, "unterminated flow sequence"),
        ("a: {b: 1\n", 1, "unterminated flow mapping"),
        ("a: b: c\n", 1, "mapping values"),
        ("a: - b\n", 1, "sequence"),
        ("a: 1\n---\nb: 2\n", 2, "several documents"),
        ("? complex\n: value\n", 1, "complex"),
        ('a: "\\q"\n', 1, "unknown escape"),
        ("a: [1, 2] junk\n", 1, "unexpected text"),
        ("a:\n  - 1\n  b: 2\n", 3, "indentation"),
        ("a: 1\n- b\n", 2, "mapping key was expected"),
    ],
)
def test_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(YAMLError) as info:
        load(text)
    assert info.value.line == line
    assert str(info.value).startswith(f"line {line}")
    assert fragment in str(info.value)


def test_pyyaml_rejects_what_we_reject() -> None:
    # Our errors are not stricter than YAML itself for these structural mistakes.
    for text in ("a:\n  b: 1\n c: 2\n", "a: b: c\n", "a: [1, 2\n", "a: - b\n", "a: 1\n- b\n"):
        with pytest.raises(yaml.YAMLError):
            pyyaml(text)


# --- documents PyYAML emits in every style it has -----------------------------------------------

_TRICKY = ["yes", "no", "on", "off", "null", "~", "true", "0x1F", "017", "1e3", "", " ", "-", "- a", "a: b",
           "#x", "x #y", "'q'", '"d"', "[a]", "{a}", "&a", "*a", "|", ">", "@x", "%x", ": ", "a\tb",
           "trailing ", " leading", "line one\nline two\n", "https://api.example.com:6443/x?y=1#z",
           "sha256~abc", "é😀", "\\back\\slash"]


def _scalar(rng: random.Random) -> Any:
    kind = rng.randrange(8)
    if kind == 0:
        return rng.randint(-10**6, 10**6)
    if kind == 1:
        return rng.choice([True, False, None])
    if kind == 2:
        return round(rng.uniform(-1000, 1000), 3)
    if kind == 3:
        return rng.choice(_TRICKY)
    if kind == 4:
        return "".join(rng.choice("ab c:#'\"\\\n\t-é{}[],&*!|>%@`") for _ in range(rng.randrange(30)))
    if kind == 5:
        return " ".join(["word"] * rng.randrange(1, 40))  # long enough to be folded at small widths
    return "".join(rng.choice("abcdefghij-_./0123456789") for _ in range(rng.randrange(1, 20)))


def _node(rng: random.Random, depth: int = 0) -> Any:
    if depth > 3 or rng.random() < 0.3:
        return _scalar(rng)
    if rng.random() < 0.5:
        return [_node(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["name", "server", "user", "cluster", "a b", "x-y", "users", "args"]
    return {rng.choice(keys) if rng.random() < 0.7 else str(_scalar(rng)): _node(rng, depth + 1)
            for _ in range(rng.randrange(5))}


def test_documents_emitted_by_pyyaml_in_all_styles() -> None:
    rng = random.Random(20261122)
    checked = 0
    for _ in range(600):
        options: dict[str, Any] = {
            "default_flow_style": rng.choice([False, None, True]), "width": rng.choice([20, 80, 1000]),
            "allow_unicode": rng.choice([True, False]), "explicit_start": rng.choice([True, False]),
            "indent": rng.choice([2, 4]), "default_style": rng.choice([None, None, '"', "'", "|", ">"]),
        }
        text = yaml.safe_dump(_node(rng), **options)
        if "!!" in text or re.search(r"(^|[\s,{\[])\?( |$)", text, re.M):
            continue  # tags and complex keys: outside the subset, rejected on purpose
        checked += 1
        assert same(load(text), pyyaml(text)), f"{options}\n{text}"
    assert checked > 300

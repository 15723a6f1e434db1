"""imageapi.testing: a fake in-memory image.openshift.io/v1 API server for tests.

>>> from imageapi.testing import FakeCluster
>>> cluster = FakeCluster()
>>> client = cluster.client()                                                       # in process
>>> with cluster.serve() as server:                                                # or on loopback
...     server.write_kubeconfig("fake.kubeconfig")

The fake keeps images and imagestreams in a versioned store with one cluster-wide resourceVersion,
serves every path and verb the real server does (and answers 404/405 exactly where it does), pages
lists with continue tokens, streams watches, and lets tests inject faults through ``cluster.faults``.
See ``docs/testing.md`` and the pytest fixtures in :mod:`imageapi.testing.pytest_plugin`.
"""

from ._cluster import FakeCluster
from ._faults import Faults
from ._http_server import FakeServer
from ._registry import FakeRegistry
from ._state import StateFileError
from ._status import StatusError

__all__ = ["FakeCluster", "FakeRegistry", "FakeServer", "Faults", "StateFileError", "StatusError"]

"""imageapi: a typed Python SDK for OpenShift's image API group (``image.openshift.io/v1``)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

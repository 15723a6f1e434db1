"""Show API objects and watch events as tables, in a notebook (HTML) or a terminal (plain columns)::

    from imageapi.display import Table

    Table(client.image_streams.list(namespace="demo"))      # a notebook draws it; print() aligns it
    Table(events, wide=True)                                # watch events get a TYPE column first

The columns are ``oc get``'s for each kind (the CLI prints the same rows). Models, list objects and
pagers display themselves in notebooks already; ``Table`` is for anything else you collected.
"""

from __future__ import annotations

from ._display import Table

__all__ = ["Table"]

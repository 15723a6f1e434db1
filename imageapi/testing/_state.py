"""The fake cluster's state on disk: the objects, the resourceVersion counter and the watch history.

``FakeCluster(state=PATH)`` (``imageapi serve --state FILE``) keeps its store in an SQLite database
(the standard library's ``sqlite3``): every write the store commits is one SQLite transaction, made
while the store holds its lock, so the file always holds exactly the writes the API has answered, in
revision order. SQLite's journal makes each transaction atomic: a process killed mid-write leaves
the file at the previous write, never half of one. (Write-ahead logging with ``synchronous=NORMAL``:
durable across a crash of the process, which is what a test fixture meets; a power cut may lose the
last writes but never corrupts the file.) One transaction costs tens of microseconds, where
rewriting a whole snapshot file (temp file, fsync, rename) per write would cost the whole store.

Reopening restores the store as it was: objects (uids, timestamps and resourceVersions included),
the revision counter and the history window, so a client resuming a watch at an old resourceVersion
gets the events it missed, without a relist. The file is held with an exclusive lock while a cluster
uses it; a file that is not an SQLite database, one written by something else, or one whose content
does not decode is refused with :class:`StateFileError`, a one-line message.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ._contracts import JSON

FORMAT = "imageapi-fake-cluster-state"
FORMAT_VERSION = 1
# History entries the store no longer keeps are deleted from the file this many at a time.
_TRIM_BATCH = 1_000

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE objects (resource TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (resource, key));
CREATE TABLE events (rv INTEGER PRIMARY KEY, resource TEXT NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL,
                     namespace TEXT, obj TEXT NOT NULL, old TEXT);
"""


class StateFileError(Exception):
    """A state file that cannot be used: not one of ours, corrupt, from another format, or in use."""


# One history entry as stored: rv, resource, event type, key, namespace, object, old object (the fields
# of the store's ``Event``, which rebuilds its entries from these).
SavedEvent = tuple[int, str, str, str, "str | None", JSON, "JSON | None"]


@dataclass
class SavedState:
    """Everything a state file holds."""

    rv: int = 0
    compacted: int = 0
    objects: dict[str, dict[str, JSON]] = field(default_factory=dict)
    history: list[SavedEvent] = field(default_factory=list)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class StateFile:
    """The SQLite state file of one fake cluster (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._trimmed = 0  # entries up to this revision are gone from the file
        self._connection: sqlite3.Connection | None = None
        try:
            self._connection = self._open()
        except sqlite3.DatabaseError as error:
            self.close()
            raise self._refusal(error) from None
        except BaseException:
            self.close()
            raise

    # -- opening --------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise StateFileError(f"cannot use state file {self.path}: directory {directory} does not exist")
        if os.path.isdir(self.path):
            raise StateFileError(f"cannot use state file {self.path}: it is a directory")
        # The store's lock serialises every use, from whichever server thread.
        # A short busy timeout: a file another cluster holds is refused at once, not after 5 s.
        connection = sqlite3.connect(self.path, timeout=0.2, isolation_level=None, check_same_thread=False)
        self._connection = connection
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("BEGIN EXCLUSIVE")  # takes the lock now: a second user fails here
        fresh = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        connection.execute("COMMIT")
        if fresh:
            # One transaction: a crash while creating leaves a database without tables, fresh again.
            connection.executescript(
                f"BEGIN EXCLUSIVE; {_SCHEMA} INSERT INTO meta VALUES ('format', '{FORMAT}'), "
                f"('version', '{FORMAT_VERSION}'), ('rv', '0'), ('compacted', '0'); COMMIT;")
        else:
            self._check_identity(connection)
        return connection

    def _check_identity(self, connection: sqlite3.Connection) -> None:
        try:
            meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:
            raise StateFileError(f"{self.path} is not an imageapi fake cluster state file "
                                 "(an SQLite database without its tables)") from None
        if meta.get("format") != FORMAT:
            raise StateFileError(f"{self.path} is not an imageapi fake cluster state file "
                                 f"(format {meta.get('format')!r})")
        if meta.get("version") != str(FORMAT_VERSION):
            raise StateFileError(f"{self.path} was written in state format version {meta.get('version')}; "
                                 f"this imageapi reads version {FORMAT_VERSION}")
        check = connection.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise StateFileError(f"{self.path} is corrupt (SQLite integrity check: {check[0] if check else '?'})")

    def _refusal(self, error: sqlite3.DatabaseError) -> StateFileError:
        text = str(error)
        if "locked" in text:
            return StateFileError(f"{self.path} is in use by another fake cluster")
        if "not a database" in text:
            return StateFileError(f"{self.path} is not an imageapi fake cluster state file (not an SQLite database)")
        return StateFileError(f"{self.path} is corrupt ({text})")

    # -- reading --------------------------------------------------------------------------------

    def load(self, resources: Iterable[str]) -> SavedState:
        """The saved state; refuses resources this cluster does not serve and undecodable content."""
        connection = self._require()
        known = set(resources)
        try:
            meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
            state = SavedState(rv=int(meta["rv"]), compacted=int(meta["compacted"]))
            for resource, key, body in connection.execute("SELECT resource, key, body FROM objects"):
                self._known(resource, known)
                state.objects.setdefault(resource, {})[key] = self._object(body)
            for rv, resource, event_type, key, namespace, obj, old in connection.execute(
                    "SELECT rv, resource, type, key, namespace, obj, old FROM events ORDER BY rv"):
                self._known(resource, known)
                state.history.append((rv, resource, event_type, key, namespace, self._object(obj),
                                      None if old is None else self._object(old)))
        except sqlite3.DatabaseError as error:
            raise self._refusal(error) from None
        except (KeyError, ValueError, TypeError) as error:
            raise StateFileError(f"{self.path} is corrupt (unreadable content: {error})") from None
        if state.history:
            first, last = state.history[0][0], state.history[-1][0]
            # Every write has an entry, and compact() removes all up to its revision with it.
            if last - first + 1 != len(state.history):
                raise StateFileError(f"{self.path} is corrupt (its watch history from revision {first} to {last} "
                                     f"has {len(state.history)} entries)")
            if first <= state.compacted or last < state.rv:
                raise StateFileError(f"{self.path} is corrupt (its watch history from revision {first} to {last} "
                                     f"does not follow its compaction at {state.compacted})")
            # Entries the store had dropped from its window may still be on disk (trimmed in batches):
            # the window starts after the newest of the compaction and the oldest entry.
            state.rv = last
            state.compacted = max(state.compacted, first - 1)
        elif state.compacted != state.rv:
            raise StateFileError(f"{self.path} is corrupt (no watch history after revision {state.compacted}, "
                                 f"but revision {state.rv})")
        self._trimmed = state.compacted
        return state

    def _known(self, resource: str, known: set[str]) -> None:
        if resource not in known:
            raise StateFileError(f"{self.path} holds {resource!r} objects, which this fake cluster does not serve")

    @staticmethod
    def _object(text: str) -> JSON:
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("an object that is not a JSON object")
        return value

    # -- writing (the store calls these under its lock) -----------------------------------------

    def record(self, rv: int, resource: str, event_type: str, key: str, namespace: str | None, obj: JSON,
               old: JSON | None, compacted: int) -> None:
        """Commit one write: the object's new state (or its removal) and the history entry.

        The revision counter is the newest entry's (the history always keeps the last write, except
        after :meth:`compact`, which saves the counter itself). Entries the store's window has
        dropped (``compacted``) are deleted in batches, not at every write: a statement fewer per
        write, and reopening trims the window to the store's size anyway."""
        connection = self._require()
        connection.execute("BEGIN")
        try:
            obj_text = _dumps(obj)
            if event_type == "DELETED":
                connection.execute("DELETE FROM objects WHERE resource = ? AND key = ?", (resource, key))
            else:
                connection.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?)", (resource, key, obj_text))
            connection.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (rv, resource, event_type, key, namespace, obj_text,
                                None if old is None else _dumps(old)))
            if compacted - self._trimmed >= _TRIM_BATCH:
                connection.execute("DELETE FROM events WHERE rv <= ?", (compacted,))
                self._trimmed = compacted
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def compact(self, compacted: int) -> None:
        """Drop the whole history up to ``compacted``, the current revision (``Store.compact``)."""
        connection = self._require()
        connection.execute("BEGIN")
        connection.execute("DELETE FROM events WHERE rv <= ?", (compacted,))
        connection.executemany("UPDATE meta SET value = ? WHERE key = ?",
                               [(str(compacted), "compacted"), (str(compacted), "rv")])
        connection.execute("COMMIT")
        self._trimmed = compacted

    def close(self) -> None:
        """Release the file (its lock included); later writes are an error."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _require(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StateFileError(f"state file {self.path} is closed")
        return self._connection


__all__ = ["FORMAT", "FORMAT_VERSION", "SavedEvent", "SavedState", "StateFile", "StateFileError"]

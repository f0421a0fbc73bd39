"""What the routes depend on: the library's read-only connection, one per thread (SQLite connections stay on the
thread that made them; the handlers and this dependency are coroutines, so they run on the event loop's thread)."""

from __future__ import annotations

import sqlite3
import threading
from typing import Annotated

from fastapi import Depends, Request

from ..library.db import open_library


class Connections:
    def __init__(self, db_path: str):
        self.db_path, self.local = db_path, threading.local()
        open_library(db_path, read_only=True).close()  # fail at start, with one line, if it is not usable

    def get(self) -> sqlite3.Connection:
        if getattr(self.local, "con", None) is None:
            self.local.con = open_library(self.db_path, read_only=True)
        return self.local.con


async def library(request: Request) -> sqlite3.Connection:
    return request.app.state.connections.get()


Library = Annotated[sqlite3.Connection, Depends(library)]  # a route's parameter `con: Library`

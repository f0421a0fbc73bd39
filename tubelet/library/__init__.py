"""A library of tagged videos in one SQLite file: the database and its migrations (db.py), writing one file per
transaction (store.py), incremental indexing with decode workers (indexer.py), search / stats / export
(query.py)."""

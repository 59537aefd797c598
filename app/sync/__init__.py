"""Offline-first sync between a desk's local store and the central database.

- :mod:`app.sync.outbox` records every ORM write in the same transaction (a
  ``before_flush`` hook on the store's sessions), as references only.
- :mod:`app.sync.push` sends the outbox to the central database, exactly once.
- :mod:`app.sync.pull` brings everything accepted centrally past the desk's cursor.
- :mod:`app.sync.conflicts` lists and resolves refused changes (a person decides).
"""

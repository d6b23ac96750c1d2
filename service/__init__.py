"""Past one machine: users' event streams kept in PostgreSQL, processed by workers.

`events.py` is the inbox of incoming events (a table, appended to by `proactive ingest` and the
HTTP endpoint); `worker.py` takes one thread at a time under its lease and feeds its events to
the agent graph, exactly once.
"""

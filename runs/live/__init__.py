"""A run's events to people and programs as they happen: the websocket and the SSE stream,
sharing one snapshot (runs.render), one `seq` buffer (sequence) and one access re-check
(access)."""

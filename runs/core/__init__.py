"""The run engine's core, in plain Python: which nodes are ready, skipped or finished
(engine) and what an attempt came to (outcomes). It imports no framework, so the rules of
scheduling are unit-tested in milliseconds (docs/architecture.md)."""

"""Signals other apps hook into without the scheduler importing them."""

from django.dispatch import Signal

# Sent after the commit that ended a run (succeeded, failed or cancelled); kwargs: run_id,
# status, and for a child run parent_run_id and parent_node_id (else None and "").
run_finished = Signal()

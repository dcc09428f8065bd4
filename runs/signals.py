"""Signals other apps hook into without the scheduler importing them."""

from django.dispatch import Signal

# Sent after the commit that ended a run (succeeded, failed or cancelled); kwargs: run_id.
run_finished = Signal()

"""Errors raised while training (kept apart so callers can import them without Keras)."""


class TrainingCancelled(Exception):
    """``should_stop()`` returned True: training stopped between two batches."""

"""Errors raised while training (kept apart so callers can import them without Keras)."""


class TrainingCancelled(Exception):
    """``should_stop()`` returned True: training stopped between two batches."""


class InsufficientHistoryError(ValueError):
    """The bars are too few for this model: said in bars, with what would be enough, because
    the internal symptom (an empty split, arrays that do not broadcast) means nothing to a
    trader."""

    def __init__(self, bars: int, needed: int, *, window_length: int, horizon: int,
                 detail: str = "") -> None:
        self.bars, self.needed = bars, needed
        super().__init__(
            f"too little history: {bars} bars, and a model with a {window_length}-bar window "
            f"forecasting {horizon} step(s) ahead needs at least {needed} bars"
            + (f" ({detail})" if detail else "")
            + "; load a longer range, a shorter interval, or choose a shorter window")

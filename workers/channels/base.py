"""What a channel returns or raises."""

from __future__ import annotations

from dataclasses import dataclass


class ChannelError(RuntimeError):
    """A delivery attempt failed; ``retryable`` is False when retrying cannot help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class SendResult:
    """A successful attempt: a short detail for the attempt log (status code, message id)."""

    detail: str

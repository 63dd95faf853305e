"""Channels (STYLE 6): one module per channel, each with ``send(delivery)`` that returns on
success and raises ``TransportError`` otherwise, saying whether trying again can help."""


class TransportError(Exception):
    """A send failed. ``permanent``: retrying cannot succeed (bad address, 4xx from a webhook)."""

    def __init__(self, message: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code

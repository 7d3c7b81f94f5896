"""Errors of the buyers app."""


class FinancialProviderError(Exception):
    """The financial assessment provider gave no usable answer (after its retries).

    Not an ``ApplicationError``: nobody's request fails with it; the assessment falls back.
    """

    def __init__(self, message: str, *, attempts: int, status_code: int | None = None):
        super().__init__(message)
        self.attempts = attempts
        self.status_code = status_code

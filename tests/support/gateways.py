"""A real sandbox gateway whose answers can be lost on the way back, as a network loses
them: the processor did the work, the desk hears a timeout."""

from __future__ import annotations

from app.integrations.gateway import GatewayResult, GatewayTimeout, PaymentGateway, Source


class LostAnswers:
    """The real sandbox; while ``lose`` is set, every answer to a charge or a refund is
    lost on the way back (the processor did the work, the desk hears a timeout)."""

    def __init__(self, real: PaymentGateway) -> None:
        self.real = real
        self.lose = True
        self.name, self.live = real.name, real.live

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def authorize(
        self, key: str, amount_cents: int, source: Source, *, capture: bool = True
    ) -> GatewayResult:
        result = self.real.authorize(key, amount_cents, source)
        if self.lose:
            raise GatewayTimeout("the answer was lost")
        return result

    def refund(self, key: str, reference: str, amount_cents: int) -> GatewayResult:
        result = self.real.refund(key, reference, amount_cents)
        if self.lose:
            raise GatewayTimeout("the answer was lost")
        return result

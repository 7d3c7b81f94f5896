"""The structured result of analysing a lead's message(s). Every engine returns this."""

from dataclasses import asdict, dataclass, field
from typing import Literal

Intent = Literal["buyer", "seller", "both", "unknown"]
TimelineValue = Literal[
    "asap", "1_3_months", "3_6_months", "6_12_months", "12_plus_months", "unknown"
]
TemperatureValue = Literal["hot", "warm", "cold"]
LanguageValue = Literal["en", "es"]
Engine = Literal["claude", "offline"]

INTENTS = ("buyer", "seller", "both", "unknown")
TIMELINES = ("asap", "1_3_months", "3_6_months", "6_12_months", "12_plus_months", "unknown")
TEMPERATURES = ("hot", "warm", "cold")
LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Budget:
    """Whole US dollars of the home to BUY (never the value of a home being sold)."""

    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class LeadAnalysis:
    intent: Intent = "unknown"
    budget: Budget = field(default_factory=Budget)
    timeline: TimelineValue = "unknown"
    pre_approved: bool | None = None
    language: LanguageValue = "en"
    score: int = 0
    temperature: TemperatureValue = "cold"
    reasons: list[str] = field(default_factory=list)
    engine: Engine = "offline"
    # Extras the bots use; not part of the public API response.
    area: str = ""
    opt_out: bool = False
    cost_usd: float = 0.0  # what the engine spent on it (Claude), also when it fell back

    def as_api_dict(self) -> dict:
        data = asdict(self)
        data.pop("area")
        data.pop("opt_out")
        data.pop("cost_usd")
        return data

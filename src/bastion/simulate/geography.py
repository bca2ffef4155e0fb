"""Where the simulated platform's people live, what they speak, and when they are awake."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    """A country of the simulated platform: its share of activity, its languages and its clock."""

    code: str
    share: float
    # Language and share of the country's accounts that speak it (shares sum to 1).
    languages: tuple[tuple[str, float], ...]
    utc_offset_hours: int


COUNTRIES: tuple[Country, ...] = (
    Country("US", 0.22, (("en", 0.85), ("es", 0.15)), -5),
    Country("IN", 0.14, (("hi", 0.55), ("en", 0.45)), 5),
    Country("BR", 0.12, (("pt", 1.0),), -3),
    Country("ID", 0.08, (("id", 1.0),), 7),
    Country("MX", 0.07, (("es", 1.0),), -6),
    Country("GB", 0.06, (("en", 1.0),), 0),
    Country("DE", 0.06, (("de", 1.0),), 1),
    Country("TR", 0.06, (("tr", 1.0),), 3),
    Country("FR", 0.05, (("fr", 1.0),), 1),
    Country("NG", 0.05, (("en", 1.0),), 1),
    Country("EG", 0.05, (("ar", 1.0),), 2),
    Country("ES", 0.04, (("es", 1.0),), 1),
)
COUNTRY_INDEX: dict[str, int] = {c.code: i for i, c in enumerate(COUNTRIES)}
LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "hi", "id", "de", "tr", "fr", "ar")
LANGUAGE_INDEX: dict[str, int] = {code: i for i, code in enumerate(LANGUAGES)}
# Share of a non-English speaker's posts that are written in English anyway.
ENGLISH_SWITCH = 0.10

# Relative activity by local hour: quiet before dawn, a lunch bump, an evening peak.
HOURLY: tuple[float, ...] = (
    0.45, 0.30, 0.20, 0.15, 0.12, 0.15, 0.30, 0.55, 0.80, 0.90, 0.95, 1.00,
    1.10, 1.05, 0.95, 0.95, 1.00, 1.10, 1.25, 1.40, 1.50, 1.45, 1.20, 0.80,
)  # fmt: skip
# Relative activity by local weekday, Monday first: busier towards and over the weekend.
WEEKLY: tuple[float, ...] = (0.92, 0.94, 0.96, 0.98, 1.05, 1.15, 1.12)


def activity(country: Country, utc_hour_of_week: int) -> float:
    """Relative posting rate in `country` at a UTC hour of the week (0 = Monday 00:00 UTC)."""
    local = (utc_hour_of_week + country.utc_offset_hours) % 168
    return country.share * HOURLY[local % 24] * WEEKLY[local // 24]


def language_demand() -> dict[str, float]:
    """Expected share of content written in each language."""
    demand = dict.fromkeys(LANGUAGES, 0.0)
    for country in COUNTRIES:
        for language, share in country.languages:
            native = share * (1 - ENGLISH_SWITCH) if language != "en" else share
            demand[language] += country.share * native
            demand["en"] += country.share * (share - native)
    return demand

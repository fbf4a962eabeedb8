"""Generate the small synthetic raw datasets for the spaceflights example.

Only the standard library is used (``random`` with a fixed seed, ``csv``) so the
output is byte-identical across machines and independent of numpy/pandas versions.

Usage (from anywhere)::

    python scripts/make_data.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

SEED = 42
N_COMPANIES = 120
N_SHUTTLES = 400
# A few shuttles get no review, so the inner join in the pipeline drops rows.
REVIEW_COVERAGE = 0.95
# Share of cells left empty, so ``dropna`` in the pipeline has something to do.
MISSING_RATE = 0.02

RAW_DIR = Path(__file__).resolve().parents[1] / "data" / "01_raw"

LOCATIONS = ["Mars", "Moon", "Europa", "Titan", "Ganymede", "Ceres", "Io", "Callisto"]
SHUTTLE_TYPES = ["Type V5", "Type F5", "Type A1", "Type T1"]
ENGINE_TYPES = ["Quantum", "Plasma", "Nuclear"]
ENGINE_VENDORS = ["ThetaBase Services", "Banks, Wood and Phillips", "Orbital Works"]
CANCELLATION_POLICIES = ["flexible", "moderate", "strict"]


def _maybe_missing(rng: random.Random, value: str) -> str:
    return "" if rng.random() < MISSING_RATE else value


def _coin(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def _tf(flag: bool) -> str:
    # The raw data encodes booleans as "t"/"f", as in the upstream spaceflights data.
    return "t" if flag else "f"


def make_companies(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for i in range(N_COMPANIES):
        rating = rng.randint(10, 100)
        rows.append(
            {
                "id": str(3000 + i),
                "company_rating": _maybe_missing(rng, f"{rating}%"),
                "company_location": rng.choice(LOCATIONS),
                "total_fleet_count": str(rng.randint(1, 12)),
                "iata_approved": _tf(_coin(rng, 0.6)),
            }
        )
    return rows


def make_shuttles(
    rng: random.Random, companies: list[dict[str, str]]
) -> list[dict[str, str]]:
    rows = []
    for i in range(N_SHUTTLES):
        company = rng.choice(companies)
        engines = rng.randint(1, 4)
        capacity = rng.randint(2, 12)
        crew = rng.randint(1, 6)
        d_check = _coin(rng, 0.7)
        moon_clearance = _coin(rng, 0.4)
        # Price is a noisy linear function of the features so the regression
        # has real signal to learn.
        price = (
            400
            + 180 * engines
            + 95 * capacity
            + 40 * crew
            + (150 if d_check else 0)
            + (90 if moon_clearance else 0)
            + rng.gauss(0, 120)
        )
        rows.append(
            {
                "id": str(10000 + i),
                "shuttle_location": rng.choice(LOCATIONS),
                "shuttle_type": rng.choice(SHUTTLE_TYPES),
                "engine_type": rng.choice(ENGINE_TYPES),
                "engine_vendor": rng.choice(ENGINE_VENDORS),
                "engines": _maybe_missing(rng, str(engines)),
                "passenger_capacity": str(capacity),
                "cancellation_policy": rng.choice(CANCELLATION_POLICIES),
                "crew": _maybe_missing(rng, str(crew)),
                "d_check_complete": _tf(d_check),
                "moon_clearance_complete": _tf(moon_clearance),
                "price": f"${max(price, 100.0):,.2f}",
                "company_id": company["id"],
            }
        )
    return rows


def make_reviews(
    rng: random.Random, shuttles: list[dict[str, str]]
) -> list[dict[str, str]]:
    rows = []
    for shuttle in shuttles:
        if rng.random() > REVIEW_COVERAGE:
            continue
        rows.append(
            {
                "shuttle_id": shuttle["id"],
                "review_scores_rating": _maybe_missing(
                    rng, f"{rng.uniform(60, 100):.1f}"
                ),
                "review_scores_comfort": f"{rng.uniform(5, 10):.1f}",
                "review_scores_amenities": f"{rng.uniform(5, 10):.1f}",
                "review_scores_trip": f"{rng.uniform(5, 10):.1f}",
                "review_scores_crew": f"{rng.uniform(5, 10):.1f}",
                "review_scores_location": f"{rng.uniform(5, 10):.1f}",
                "review_scores_price": f"{rng.uniform(5, 10):.1f}",
                "number_of_reviews": str(rng.randint(1, 200)),
                "reviews_per_month": f"{rng.uniform(0.1, 8):.2f}",
            }
        )
    return rows


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    # Fixed "\n" line endings keep the files byte-identical across platforms.
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)
    companies = make_companies(rng)
    shuttles = make_shuttles(rng, companies)
    reviews = make_reviews(rng, shuttles)

    RAW_DIR.mkdir(parents=True, exist_ok=True)
    for name, rows in (
        ("companies", companies),
        ("shuttles", shuttles),
        ("reviews", reviews),
    ):
        path = RAW_DIR / f"{name}.csv"
        _write_csv(path, rows)
        print(f"wrote {len(rows):>4} rows to {path}")  # noqa: T201


if __name__ == "__main__":
    main()

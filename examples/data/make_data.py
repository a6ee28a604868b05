"""Writes the small CSV files next to this script (the README's "Train on your own CSV").

- flowers.csv: 150 generated flowers in the layout of Fisher's iris data (four measurements in
  cm and the species as text); the species' means are close to the real ones, the values are
  drawn at random, so this is not the real data set.
- houses.csv: 300 generated houses; price = 100 + 40·rooms + 0.5·area − 2·age + noise (in
  thousands), a regression target.
- customers.csv.gz: 400 generated customers as a real export comes: semicolons, Latin-1 (the
  cities have accents), gzip; a customer id, ages with empty and "NA" cells, a city column of
  text with gaps, a plan ("basic", "plus", "pro"), and whether they renewed (yes/no, about one in
  four yes) from income, city and plan.

    python examples/data/make_data.py
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SPECIES = {
    "setosa": [5.0, 3.4, 1.5, 0.25],
    "versicolor": [5.9, 2.8, 4.3, 1.3],
    "virginica": [6.6, 3.0, 5.5, 2.0],
}
SPREAD = [0.5, 0.35, 0.55, 0.3]


def flowers(rng: np.random.Generator) -> list[list[str]]:
    rows = []
    for name, mean in SPECIES.items():
        for values in rng.normal(mean, SPREAD, size=(50, 4)):
            rows.append([f"{max(value, 0.1):.1f}" for value in values] + [name])
    return rows


def houses(rng: np.random.Generator, count: int = 300) -> list[list[str]]:
    rooms = rng.integers(1, 7, count)
    area = rng.uniform(30, 200, count)
    age = rng.uniform(0, 50, count)
    price = 100 + 40 * rooms + 0.5 * area - 2 * age + rng.normal(0, 5, count)
    return [[str(r), f"{a:.1f}", f"{g:.1f}", f"{p:.1f}"]
            for r, a, g, p in zip(rooms, area, age, price, strict=True)]


CITIES = ["Zürich", "São Paulo", "Kraków", "Lyon", "Tromsø"]
PLANS = ["basic", "plus", "pro"]


def customers(rng: np.random.Generator, count: int = 400) -> list[list[str]]:
    rows = []
    for i in range(count):
        city, plan = CITIES[rng.integers(5)], PLANS[rng.integers(3)]
        income = rng.normal(48, 14)
        age = "" if rng.random() < 0.06 else "NA" if rng.random() < 0.04 else str(
            rng.integers(18, 80))
        score = income / 10 + 1.2 * (city in ("Zürich", "Tromsø")) + PLANS.index(plan)
        renewed = "yes" if score + rng.normal(0, 0.8) > 7.2 else "no"
        rows.append([f"C-{10_000 + i}", age, f"{income:.1f}", "" if rng.random() < 0.05 else city,
                     plan, renewed])
    return rows


def write_messy(name: str, header: list[str], rows: list[list[str]]) -> None:
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\n").writerows([header, *rows])
    # mtime=0: the same bytes on every run
    with open(HERE / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as file:
        file.write(text.getvalue().encode("latin-1"))


def write(name: str, header: list[str], rows: list[list[str]]) -> None:
    with open(HERE / name, "w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


if __name__ == "__main__":
    rng = np.random.default_rng(2024)
    write("flowers.csv", ["sepal_length", "sepal_width", "petal_length", "petal_width",
                          "species"], flowers(rng))
    write("houses.csv", ["rooms", "area", "age", "price"], houses(rng))
    write_messy("customers.csv.gz", ["customer", "age", "income", "city", "plan", "renewed"],
                customers(np.random.default_rng(7)))

"""Benchmark: a segment's preview over 1,000,000 contacts.

Run with `.venv/bin/python bench/segment_query.py` (needs the local PostgreSQL, or
`--database-url sqlite`). A fresh database schema holds one account with 1,000,000 contacts,
each with the attributes an import of a dealership's file gives them: purchase date (spread
over six years), city (one of ten), servicing contract (true for two in three), mileage. The
"maintenance" segment (bought over two years ago, in Lyon, with a servicing contract) is saved
and previewed through the API (`GET /segments/{id}/preview`: the count and a sample), five
times; it prints each time, the median and the count, checked against the count computed here.

Target: under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from _common import (
    DATABASE_HELP,
    DEFAULT_DATABASE_URL,
    REDIS_HELP,
    insert_contacts,
    make_tenant,
    point_environment,
)
from _stack import run_in_scratch

from voicecast import create_app
from voicecast.segments.filters import shift

TARGET_S = 1.0
CITIES = ["Lyon", "Paris", "Marseille", "Lille", "Nantes", "Bordeaux", "Nice", "Rennes",
          "Grenoble", "Dijon"]  # fmt: skip
MAINTENANCE = {"all": [
    {"field": "attr.date_d_achat", "op": "before", "value": {"years_ago": 2}},
    {"field": "attr.ville", "op": "eq", "value": "Lyon"},
    {"field": "attr.contrat_d_entretien", "op": "eq", "value": True},
]}  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000, help="default: %(default)s")
    parser.add_argument("--runs", type=int, default=5, help="default: %(default)s")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help=DATABASE_HELP)
    parser.add_argument("--redis-url", default=None, help=REDIS_HELP)
    return parser.parse_args(argv)


def attributes(i: int) -> dict:
    bought = date(2020, 1, 1) + timedelta(days=i % (6 * 365))
    return {
        "date_d_achat": bought.isoformat(),
        "ville": CITIES[i % len(CITIES)],
        "contrat_d_entretien": i % 3 != 0,
        "kilometrage": i % 150_000,
    }


def expected_count(count: int) -> int:
    limit = shift(date.today(), "years_ago", 2).isoformat()
    return sum(
        1
        for i in range(count)
        if (a := attributes(i))["ville"] == "Lyon"
        and a["contrat_d_entretien"]
        and a["date_d_achat"] < limit
    )


def run(args: argparse.Namespace, instance: Path, database_url: str, redis_url: str) -> int:
    point_environment(database_url, redis_url, instance)
    app = create_app()
    tenant = make_tenant(app)
    started = time.monotonic()
    insert_contacts(app, tenant, args.contacts, attributes=attributes)
    print(f"{args.contacts:,} contacts written in {time.monotonic() - started:.1f} s")
    client = app.test_client()
    made = client.post(
        "/api/v1/segments",
        headers=tenant.headers,
        json={"name": "Entretien 2 ans, Lyon", "filter": MAINTENANCE},
    )
    assert made.status_code == 201, made.json
    times, count = [], None
    for _ in range(args.runs):
        began = time.perf_counter()
        shown = client.get(f"/api/v1/segments/{made.json['id']}/preview", headers=tenant.headers)
        times.append(time.perf_counter() - began)
        assert shown.status_code == 200, shown.json
        count = shown.json["count"]
    median = statistics.median(times)
    expected = expected_count(args.contacts)
    print("preview times: " + ", ".join(f"{t:.2f} s" for t in times))
    print(f"count {count:,} (expected {expected:,}); sample of {len(shown.json['sample'])}")
    met = median < TARGET_S and count == expected
    print(
        f"segment preview over {args.contacts:,} contacts: median {median:.2f} s; target "
        f"< {TARGET_S:g} s: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    return run_in_scratch(parse_args(argv), run)


if __name__ == "__main__":
    sys.exit(main())

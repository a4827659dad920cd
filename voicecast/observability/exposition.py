"""`GET /metrics`: the Prometheus text format, for a scraper holding METRICS_TOKEN.

What it shows: the counters and histograms every process adds to in Redis
(`voicecast.observability.metrics`), and gauges read at scrape time where that is cheap: the
jobs in each RQ queue and registry (one LLEN or ZCARD each) and the campaigns by status (a
GROUP BY over the small campaigns table).

Protection: with METRICS_TOKEN set, only `Authorization: Bearer <METRICS_TOKEN>` is answered
(401 otherwise). Without it, only a direct request from this host is (loopback address and no
proxy header: a reverse proxy on the same host would otherwise open it to the world).
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from rq import Queue
from sqlalchemy import func, select

from voicecast.constant_time import same_secret
from voicecast.extensions import db
from voicecast.models.campaign import Campaign
from voicecast.observability import metrics
from voicecast.observability.metrics import FAMILIES, SEP, Family
from voicecast.queues import QUEUE_NAMES
from voicecast.redis_client import get_redis

bp = Blueprint("metrics", __name__)
LOOPBACK = {"127.0.0.1", "::1"}
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


def refusal() -> Response | None:
    """Why this request may not read the metrics (a response to send), or None."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and same_secret(token, sent.strip()):
            return None
        return Response(
            "Send 'Authorization: Bearer <METRICS_TOKEN>'.\n",
            401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    proxied = any(name in request.headers for name in PROXY_HEADERS)
    if request.remote_addr in LOOPBACK and not proxied:
        return None
    return Response(
        "Metrics answer this host only while METRICS_TOKEN is not set.\n",
        403,
        mimetype="text/plain",
    )


@bp.get("/metrics")
def scrape() -> Response:
    refused = refusal()
    if refused is not None:
        return refused
    metrics.flush_all()  # what this process counted so far
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Snapshot(list(collect())))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST.split(";")[0])


class Snapshot:
    """A collector that hands prometheus_client the families read for this scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def collect() -> Iterator[Metric]:
    redis = get_redis()
    stored = metrics.read_all(redis)
    for family in FAMILIES:
        values = stored.get(family.name, {})
        yield histogram(family, values) if family.buckets else counter(family, values)
    yield queue_depths(redis)
    yield campaigns_by_status()


def split(field: str, family: Family) -> list[str]:
    """The label values of a stored field (a histogram's field minus its last part)."""
    parts = field.split(SEP) if family.labels else []
    return parts[: len(family.labels)] + [""] * (len(family.labels) - len(parts))


def counter(family: Family, values: dict[str, float]) -> Metric:
    metric = CounterMetricFamily(family.name, family.help, labels=family.labels)
    if not family.labels:
        metric.add_metric([], values.get("", 0.0))
    for field, value in sorted(values.items()):
        if family.labels:
            metric.add_metric(split(field, family), value)
    return metric


def histogram(family: Family, values: dict[str, float]) -> Metric:
    metric = HistogramMetricFamily(family.name, family.help, labels=family.labels)
    series: dict[str, dict[str, float]] = {}
    for field, value in values.items():
        labels, _, part = field.rpartition(SEP)
        series.setdefault(labels, {})[part] = value
    for labels, parts in sorted(series.items()):
        running, buckets = 0.0, []
        bounds = [*map(repr, family.buckets), "+Inf"]
        for index, bound in enumerate(bounds):
            running += parts.get(str(index), 0.0)
            buckets.append((bound, running))
        label_values = labels.split(SEP) if family.labels else []
        metric.add_metric(label_values, buckets, parts.get("sum", 0.0))
    return metric


REGISTRIES = ("started", "scheduled", "deferred", "failed")


def queue_depths(redis) -> Metric:
    """Jobs per RQ queue: waiting in it, and in its started/scheduled/deferred/failed registry."""
    metric = GaugeMetricFamily(
        "voicecast_queue_jobs",
        "RQ jobs per queue and state (queued: waiting in the queue; started, scheduled, "
        "deferred, failed: in that registry).",
        labels=("queue", "state"),
    )
    keys = []
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=redis)
        keys.append((name, "queued", queue.key, "list"))
        registries = (
            queue.started_job_registry,
            queue.scheduled_job_registry,
            queue.deferred_job_registry,
            queue.failed_job_registry,
        )
        for state, registry in zip(REGISTRIES, registries, strict=True):
            keys.append((name, state, registry.key, "zset"))
    with redis.pipeline(transaction=False) as pipe:
        for *_, key, kind in keys:
            if kind == "list":
                pipe.llen(key)
            else:
                pipe.zcard(key)
        counts = pipe.execute()
    for (name, state, _, _), found in zip(keys, counts, strict=True):
        metric.add_metric([name, state], float(found))
    return metric


def campaigns_by_status() -> Metric:
    metric = GaugeMetricFamily(
        "voicecast_campaigns", "Campaigns by status (from the database).", labels=("status",)
    )
    stmt = select(Campaign.status, func.count()).group_by(Campaign.status)
    for status, found in sorted(db.session.execute(stmt), key=lambda row: row[0].value):
        metric.add_metric([status.value], float(found))
    return metric

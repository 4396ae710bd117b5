"""What the events app adds to a metrics scrape (``ultrabackend/observability/metrics.py`` reads
it through ``DATABASE_GAUGES``, registered in events/apps.py): undispatched domain events and the
health of each webhook endpoint (names in docs/operations.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily

from events.models import DomainEvent, WebhookDelivery, WebhookEndpoint


def event_gauges(cursor: Any) -> Iterator[Any]:
    events = GaugeMetricFamily("igo_domain_events_undispatched", "Domain events not yet fanned out to deliveries.")
    cursor.execute(f"SELECT count(*) FROM {DomainEvent._meta.db_table} WHERE dispatched_at IS NULL")
    events.add_metric([], float(cursor.fetchone()[0]))
    yield events

    pending = GaugeMetricFamily(
        "igo_webhook_deliveries_pending",
        "Webhook deliveries waiting (first try or retry), per endpoint.",
        labels=["endpoint"],
    )
    receiving = GaugeMetricFamily(
        "igo_webhook_endpoint_up", "1: the endpoint receives; 0: disabled or switched off.", labels=["endpoint"]
    )
    failing = GaugeMetricFamily(
        "igo_webhook_endpoint_failing_seconds",
        "Seconds since the first failure after the endpoint's last success (0: healthy).",
        labels=["endpoint"],
    )
    cursor.execute(
        f"""
        SELECT w.id, (w.is_active AND w.disabled_at IS NULL),
               COALESCE(EXTRACT(EPOCH FROM now() - w.failing_since), 0),
               (SELECT count(*) FROM {WebhookDelivery._meta.db_table} d WHERE d.endpoint_id = w.id AND d.status = 'pending')
        FROM {WebhookEndpoint._meta.db_table} w ORDER BY w.id
        """
    )
    for endpoint_id, up, failing_for, waiting in cursor.fetchall():
        label = [str(endpoint_id)]
        receiving.add_metric(label, 1.0 if up else 0.0)
        failing.add_metric(label, float(failing_for))
        pending.add_metric(label, float(waiting))
    yield from (pending, receiving, failing)

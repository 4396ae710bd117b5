"""Webhook subscriptions and delivery (Standard Webhooks: https://www.standardwebhooks.com/).

- A subscription's URL is checked when it is made or changed, and again on every connection:
  outside development (``WEBHOOK_ALLOW_PRIVATE_TARGETS``) a target that resolves to a private,
  loopback, link-local, multicast, reserved or otherwise non-global address is refused. The
  delivery checks the address the socket actually connected to, so a DNS answer that changes
  between the check and the request (rebinding) is refused too. Redirects are not followed.
- Each request is signed with the endpoint's secret (``standardwebhooks``): ``webhook-id`` is the
  event's id (the same for every retry), ``webhook-timestamp`` the time of the attempt.
- ``attempt`` makes one attempt and records it; it says whether and when to try again: timeouts,
  connection errors, 5xx, 408, 409 and 429 are retried with exponential backoff (honouring
  ``Retry-After``) until ``WEBHOOK_RETRY_FOR_SECONDS`` after the delivery was made; other answers
  stop. An endpoint whose deliveries all failed for ``WEBHOOK_DISABLE_AFTER_SECONDS`` is disabled.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from requests.adapters import HTTPAdapter
from standardwebhooks import Webhook
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core.exceptions import InvalidWebhookUrl, UnknownEventType, WebhookTargetRefused
from core.utils.dates import iso_utc, utc_now
from events.models import EVENT_TYPES, DomainEvent, WebhookDelivery, WebhookEndpoint
from ultrabackend.observability import metrics
from ultrabackend.observability.context import request_id_bound

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 409, 429})
BACKOFF_FACTOR = 4
MAX_DELAY = timedelta(hours=12)
MAX_RETRY_AFTER = timedelta(hours=24)
USER_AGENT = "iGoUltra-Webhooks/1.0"


# --- targets (SSRF) -----------------------------------------------------------------------------


# IPv6 forms that carry an IPv4 address the packet may end up at: NAT64's well-known prefix
# (RFC 6052) is judged by its embedded IPv4, like 6to4 (2002::/16) and IPv4-mapped addresses;
# the local-use NAT64 prefix (RFC 8215) and Teredo (2001::/32) are refused outright.
NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")
TEREDO = ipaddress.IPv6Network("2001::/32")
# Ports a webhook may be delivered to: the web's own and the unprivileged range (never 0, and no
# other well-known service port such as SMTP or SSH).
ALLOWED_PORTS = frozenset({80, 443}) | frozenset(range(1024, 65536))


def _is_public_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address. An IPv6 address that embeds an IPv4 one
    (IPv4-mapped, 6to4, NAT64) is public only if both are; Teredo, local-use NAT64 and the
    deprecated site-local range are never public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _is_public_ip(ip.ipv4_mapped)
        if ip in TEREDO or ip in NAT64_LOCAL_USE or ip.is_site_local:
            return False
        if ip in NAT64_WELL_KNOWN:
            return _is_public_ip(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return _is_public_ip(ip.sixtofour) and _is_public_ip(ip)
    return _is_public_ip(ip)


def private_targets_allowed() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)


def validate_url(url: Any) -> str:
    """The URL, checked: absolute http(s) with a host, and (in production) resolving only to
    public addresses. Raises InvalidWebhookUrl or WebhookTargetRefused."""
    if not isinstance(url, str) or not url.strip() or len(url) > 2000:
        raise InvalidWebhookUrl()
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidWebhookUrl() from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise InvalidWebhookUrl()
    if port is not None and port not in ALLOWED_PORTS:
        raise WebhookTargetRefused("A webhook port is 80, 443 or 1024-65535.")
    if any(ch.isspace() for ch in url) or not url.isascii():
        raise InvalidWebhookUrl("A webhook URL is ASCII without spaces (punycode for international names).")
    if not private_targets_allowed():
        host = parts.hostname
        try:
            infos = socket.getaddrinfo(host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise WebhookTargetRefused(f"The host {host!r} does not resolve.") from None
        refused = sorted({str(info[4][0]) for info in infos if not is_public_address(str(info[4][0]))})
        if refused or not infos:
            raise WebhookTargetRefused(f"The host {host!r} resolves to a non-public address ({', '.join(refused)}).")
    return url


def validate_event_types(value: Any) -> list[str]:
    """A non-empty list of known event types (duplicates dropped, order kept)."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise UnknownEventType("event_types is a non-empty list of event types.", known=list(EVENT_TYPES))
    unknown = [v for v in value if v not in EVENT_TYPES]
    if unknown:
        raise UnknownEventType(f"Unknown event types: {', '.join(unknown)}.", known=list(EVENT_TYPES))
    return list(dict.fromkeys(value))


class TargetRefused(Exception):
    """The socket reached an address outside the allowed range."""


class _GuardMixin:
    host: str

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        peer = sock.getpeername()[0]
        if not is_public_address(str(peer)):
            sock.close()
            raise TargetRefused(f"{self.host} connected to the non-public address {peer}")
        return sock


class _GuardedHTTPConnection(_GuardMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


class _GuardedAsyncBackend:
    """httpcore's network backend, refusing a connection whose peer is not public (the same rule
    as the requests adapter above, for the async delivery pump's httpx client)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        import httpcore

        stream = await self.inner.connect_tcp(host, port, *args, **kwargs)
        peer = stream.get_extra_info("server_addr")
        address = str(peer[0]) if peer else ""
        if not is_public_address(address):
            await stream.aclose()
            raise httpcore.ConnectError(f"{host} connected to the non-public address {address}")
        return stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def guard_async_transport(transport: Any) -> None:
    """Make an ``httpx.AsyncHTTPTransport`` refuse non-public peers (on every new connection)."""
    pool = transport._pool
    pool._network_backend = _GuardedAsyncBackend(pool._network_backend)


_local = threading.local()


def _session() -> requests.Session:
    """One session per worker thread (keep-alive to receivers); guarded unless private targets
    are allowed. Proxies from the environment are ignored: the guard judges the real peer."""
    guarded = not private_targets_allowed()
    session = getattr(_local, "session", None)
    if session is None or getattr(_local, "guarded", None) != guarded:
        session = requests.Session()
        session.trust_env = False
        if guarded:
            session.mount("http://", _GuardedAdapter())
            session.mount("https://", _GuardedAdapter())
        _local.session, _local.guarded = session, guarded
    return session


# --- subscriptions ------------------------------------------------------------------------------


def create_endpoint(
    *, url: Any, event_types: Any, description: str = "", is_active: bool = True, owner_key: Any = None
) -> WebhookEndpoint:
    """A new subscription with a fresh ``whsec_`` secret. Raises InvalidWebhookUrl,
    WebhookTargetRefused, UnknownEventType."""
    endpoint = WebhookEndpoint(
        url=validate_url(url),
        event_types=validate_event_types(event_types),
        description=description,
        is_active=is_active,
        owner_key=owner_key,
    )
    endpoint.save()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, **changes: Any) -> WebhookEndpoint:
    """Change url, event_types, description or is_active. Setting ``is_active`` to True on a
    disabled endpoint enables it again (its failure streak starts afresh)."""
    fields: list[str] = []
    if "url" in changes:
        endpoint.url = validate_url(changes["url"])
        fields.append("url")
    if "event_types" in changes:
        endpoint.event_types = validate_event_types(changes["event_types"])
        fields.append("event_types")
    if "description" in changes:
        endpoint.description = changes["description"]
        fields.append("description")
    if "is_active" in changes:
        endpoint.is_active = bool(changes["is_active"])
        fields.append("is_active")
        if endpoint.is_active and endpoint.disabled_at is not None:
            endpoint.disabled_at = endpoint.failing_since = None
            fields += ["disabled_at", "failing_since"]
    if fields:
        endpoint.save(update_fields=fields)
    return endpoint


def enable_endpoint(endpoint: WebhookEndpoint) -> None:
    update_endpoint(endpoint, is_active=True)


# --- the message --------------------------------------------------------------------------------


def user_block(event: DomainEvent) -> dict[str, Any] | None:
    user = event.user
    if user is None:
        return None
    return {"id": user.pk, "discord_id": user.discord_id, "display_name": user.public_name}


def payload(event: DomainEvent) -> dict[str, Any]:
    """``{"type", "timestamp", "data": {"user", "sequence", ...facts}}`` (docs/events.md)."""
    data: dict[str, Any] = {}
    if event.user_id is not None:
        data["user"] = user_block(event)
        data["sequence"] = event.sequence
    data.update(event.data)
    return {"type": event.type, "timestamp": iso_utc(event.created_at), "data": data}


def signed_request(endpoint: WebhookEndpoint, event: DomainEvent, now: datetime) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload(event), separators=(",", ":"), ensure_ascii=False)
    signature = Webhook(endpoint.secret).sign(msg_id=event.message_id, timestamp=now, data=body)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return body.encode(), headers


# --- one attempt ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    retry_in: timedelta | None  # None: no further attempt (delivered, or given up)
    status_code: int | None
    error: str


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: base × 4^(attempts − 1), at most 12 hours
    (base 5 s: 5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, then every 12 h)."""
    base = float(settings.WEBHOOK_RETRY_BASE_SECONDS)
    seconds = base * BACKOFF_FACTOR ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_DELAY)


def retry_after(response: Any, now: datetime) -> timedelta | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            wait = parsedate_to_datetime(value) - now
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), MAX_RETRY_AFTER)


def attempt(delivery_id: int) -> Outcome:
    """Send one delivery once and record the attempt; the Outcome says what comes next."""
    delivery = WebhookDelivery.objects.select_related("endpoint", "event", "event__user").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.PENDING:
        return Outcome(delivery is not None and delivery.status == WebhookDelivery.SUCCEEDED, None, None, "")
    with request_id_bound(delivery.event.request_id or None):
        started = time.perf_counter()
        outcome = _attempt(delivery)
        log_outcome(delivery, outcome, time.perf_counter() - started)
    return outcome


def log_outcome(delivery: WebhookDelivery, outcome: Outcome, seconds: float) -> None:
    log_attempt(
        delivery_id=delivery.pk,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        outcome=outcome,
        seconds=seconds,
    )


def log_attempt(*, delivery_id: int, endpoint_id: int, event_id: int, outcome: Outcome, seconds: float) -> None:
    """One log line and the metrics of one attempt (the event's request id is bound)."""
    label = "delivered" if outcome.delivered else ("retry" if outcome.retry_in is not None else "failed")
    metrics.WEBHOOK_DELIVERIES.labels(label).inc()
    metrics.WEBHOOK_LATENCY.observe(seconds)
    fields = {
        "delivery_id": delivery_id,
        "endpoint_id": endpoint_id,
        "webhook_id": f"msg_{event_id}",
        "outcome": label,
        "status_code": outcome.status_code,
        "duration_ms": round(seconds * 1000, 1),
    }
    if outcome.delivered:
        logger.info("webhook %s delivered to endpoint %s", fields["webhook_id"], endpoint_id, extra=fields)
    else:
        logger.warning(
            "webhook %s to endpoint %s: %s (%s)",
            fields["webhook_id"],
            endpoint_id,
            outcome.error,
            label,
            extra={**fields, "error": outcome.error},
        )


def next_try(
    *, attempts: int, created_at: datetime, now: datetime, retryable: bool, wait_hint: timedelta | None
) -> timedelta | None:
    """When to try again after failed attempt number ``attempts`` (None: give up): the backoff or
    the receiver's Retry-After, whichever is later, within WEBHOOK_RETRY_FOR_SECONDS."""
    if not retryable:
        return None
    retry_in = max(backoff(attempts), wait_hint or timedelta(0))
    if now + retry_in > created_at + timedelta(seconds=settings.WEBHOOK_RETRY_FOR_SECONDS):
        return None  # about three days of tries are over
    return retry_in


def _attempt(delivery: WebhookDelivery) -> Outcome:
    endpoint = delivery.endpoint
    if not endpoint.receives:
        reason = "endpoint disabled" if endpoint.is_disabled else "endpoint inactive"
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.FAILED, last_error=reason)
        return Outcome(False, None, None, reason)

    now = utc_now()
    status_code: int | None = None
    retryable = True
    wait_hint: timedelta | None = None
    try:
        validate_url(endpoint.url)  # the rule may have changed since the subscription (or DNS)
        body, headers = signed_request(endpoint, delivery.event, now)
        response = _session().post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS),
            allow_redirects=False,
        )
        status_code = response.status_code
        response.close()
        if 200 <= status_code < 300:
            return _record_success(delivery, now, status_code)
        error = f"HTTP {status_code}"
        retryable = status_code >= 500 or status_code in RETRY_STATUSES
        wait_hint = retry_after(response, now) if retryable else None
    except (WebhookTargetRefused, InvalidWebhookUrl) as exc:
        error, retryable = f"refused: {exc.message}", False
    except TargetRefused as exc:
        error, retryable = f"refused: {exc}", False
    except requests.Timeout:
        error = "timeout"
    except requests.RequestException as exc:
        error = f"connection error: {type(exc).__name__}"
    return _record_failure(delivery, now, status_code, error[:500], retryable, wait_hint)


def _record_success(delivery: WebhookDelivery, now: datetime, status_code: int) -> Outcome:
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.SUCCEEDED,
            attempts=delivery.attempts + 1,
            last_status_code=status_code,
            last_attempt_at=now,
            last_error="",
            delivered_at=now,
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(failing_since=None)
    return Outcome(True, None, status_code, "")


def _record_failure(
    delivery: WebhookDelivery,
    now: datetime,
    status_code: int | None,
    error: str,
    retryable: bool,
    wait_hint: timedelta | None,
) -> Outcome:
    attempts = delivery.attempts + 1
    retry_in = next_try(
        attempts=attempts, created_at=delivery.created_at, now=now, retryable=retryable, wait_hint=wait_hint
    )
    disable_after = timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER_SECONDS)
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.PENDING if retry_in is not None else WebhookDelivery.FAILED,
            attempts=attempts,
            last_status_code=status_code,
            last_attempt_at=now,
            last_error=error,
        )
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=True).update(failing_since=now)
        disabled = WebhookEndpoint.objects.filter(
            Q(failing_since__lte=now - disable_after), pk=delivery.endpoint_id, disabled_at__isnull=True
        ).update(disabled_at=now)
    if disabled:
        logger.warning(
            "webhook endpoint %s disabled: every delivery failed for %s", delivery.endpoint_id, disable_after
        )
    return Outcome(False, retry_in, status_code, error)


# --- fan-out and redelivery -------------------------------------------------------------------


def delivery_lock(endpoint_id: int, user_id: int | None) -> str:
    """Deliveries to one endpoint about one player go one after the other, in event order."""
    return f"webhooks:{endpoint_id}:{user_id if user_id is not None else 'global'}"


def redeliver(deliveries: list[WebhookDelivery]) -> int:
    """Send these deliveries again (admin action): pending again, due now, with a fresh retry
    window and the same ``webhook-id`` (the event pump sends them). Returns how many."""
    now = utc_now()
    ids = [d.pk for d in deliveries]
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDelivery.PENDING, created_at=now, next_attempt_at=now, leased_until=None
    )
    return len(ids)

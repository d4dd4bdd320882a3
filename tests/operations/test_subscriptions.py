"""NGSI-LD subscriptions: matching, webhook notifications to a real local server, throttling,
retries after failures, and writes that never wait for a webhook."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from quancheng.app import Services
from quancheng.errors import BadRequest, NotAuthenticated, NotFound, PermissionDenied
from quancheng.identity.roles import Principal
from quancheng.operations.subscriptions import SubscriptionService
from tests.operations.test_entities import prop, streetlight
from tests.support.city import SmallCity


class Hook:
    """A webhook receiver on 127.0.0.1: records each POST, answers the scripted statuses."""

    def __init__(self) -> None:
        self.received: list[tuple[float, dict[str, Any]]] = []
        self.statuses: list[int] = []  # answered in order, then 204
        self.delay = 0.0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                time.sleep(hook.delay)
                hook.received.append((time.monotonic(), body))
                status = hook.statuses.pop(0) if hook.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return [body for _, body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    receiver = Hook()
    yield receiver
    receiver.close()


@pytest.fixture
def subs(services: Services) -> Iterator[SubscriptionService]:
    service = services.entities.subscriptions
    service.retry_delays = (0.2, 0.2)
    yield service
    services.entities.close()


def subscription(url: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "Subscription",
        "entities": [{"type": "Streetlight"}],
        "watchedAttributes": ["powerState", "illuminanceLevel"],
        "notification": {"endpoint": {"uri": url, "accept": "application/json"}},
    }
    body.update(extra)
    return body


URN = "urn:ngsi-ld:Streetlight:s1"


@pytest.fixture
def steward(city: SmallCity) -> Principal:
    return city.principals["gaj_steward"]


def test_a_matching_change_is_posted_as_an_ngsi_ld_notification(
    services: Services, subs: SubscriptionService, hook: Hook, steward: Principal
) -> None:
    services.entities.create(steward, streetlight("s1"))
    sub = subs.create(
        steward,
        subscription(
            hook.url,
            q="illuminanceLevel>0.5",
            notification={
                "endpoint": {"uri": hook.url},
                "attributes": ["powerState", "illuminanceLevel"],
            },
        ),
    )
    assert sub["id"].startswith("urn:ngsi-ld:Subscription:")
    services.entities.patch(steward, URN, {"powerState": prop("off")})
    [body] = hook.wait_for(1)
    assert body["type"] == "Notification"
    assert body["subscriptionId"] == sub["id"]
    assert body["notifiedAt"].endswith("Z")
    assert body["data"] == [
        {
            "id": URN,
            "type": "Streetlight",
            "powerState": prop("off"),
            "illuminanceLevel": prop(0.8),
        }
    ]
    # q is evaluated on the entity after the change: dimmed below 0.5 → no notification.
    services.entities.patch(steward, URN, {"illuminanceLevel": prop(0.2)})
    # An attribute the subscription does not watch → no notification.
    services.entities.patch(steward, URN, {"status": prop("columnIssue")})
    time.sleep(0.6)
    assert len(hook.received) == 1
    shown = subs.get(steward, sub["id"])
    assert shown["notification"]["timesSent"] == 1
    assert shown["notification"]["status"] == "ok"
    assert "lastNotification" in shown["notification"]


def test_key_values_format_and_other_types_ignored(
    services: Services, subs: SubscriptionService, hook: Hook, city: SmallCity
) -> None:
    steward = city.principals["gaj_steward"]
    services.entities.create(steward, streetlight("s1"))
    subs.create(
        steward,
        subscription(
            hook.url,
            notification={
                "endpoint": {"uri": hook.url},
                "format": "keyValues",
                "attributes": ["powerState"],
            },
        ),
    )
    services.entities.ingest_device("Streetlight", URN, {"powerState": "low"})
    [body] = hook.wait_for(1)
    assert body["data"] == [{"id": URN, "type": "Streetlight", "powerState": "low"}]


def test_throttling_coalesces_changes_into_the_latest_state(
    services: Services, subs: SubscriptionService, hook: Hook, steward: Principal
) -> None:
    services.entities.create(steward, streetlight("s1"))
    subs.create(steward, subscription(hook.url, throttling=1))
    for level in (0.1, 0.2, 0.3, 0.4):
        services.entities.patch(steward, URN, {"illuminanceLevel": prop(level)})
    bodies = hook.wait_for(2, timeout=5)
    assert len(bodies) == 2
    time.sleep(1.3)
    assert len(hook.received) == 2  # nothing else was pending
    (t1, _), (t2, second) = hook.received
    assert t2 - t1 >= 0.9
    assert second["data"][0]["illuminanceLevel"]["value"] == 0.4


def test_a_failed_notification_is_retried(
    services: Services, subs: SubscriptionService, hook: Hook, steward: Principal
) -> None:
    services.entities.create(steward, streetlight("s1"))
    sub = subs.create(steward, subscription(hook.url))
    hook.statuses = [500]
    services.entities.patch(steward, URN, {"powerState": prop("off")})
    bodies = hook.wait_for(2)
    assert len(bodies) == 2
    assert bodies[0]["data"] == bodies[1]["data"]
    (t1, _), (t2, _) = hook.received
    assert t2 - t1 >= 0.15  # after the backoff
    deadline = time.monotonic() + 3
    while subs.get(steward, sub["id"])["notification"]["timesSent"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    shown = subs.get(steward, sub["id"])
    assert shown["notification"]["status"] == "ok"
    assert "lastFailure" in shown["notification"]


def test_an_unreachable_endpoint_is_dropped_after_the_retries(
    services: Services, subs: SubscriptionService, steward: Principal
) -> None:
    services.entities.create(steward, streetlight("s1"))
    sub = subs.create(steward, subscription("http://127.0.0.1:9/closed"))
    services.entities.patch(steward, URN, {"powerState": prop("off")})
    deadline = time.monotonic() + 5
    while subs.dropped == 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    shown = subs.get(steward, sub["id"])
    assert shown["notification"]["status"] == "failed"
    assert shown["notification"]["timesSent"] == 0


def test_a_slow_webhook_never_blocks_writes(
    services: Services, subs: SubscriptionService, hook: Hook, steward: Principal
) -> None:
    services.entities.create(steward, streetlight("s1"))
    subs.create(steward, subscription(hook.url))
    hook.delay = 1.5
    started = time.monotonic()
    for state in ("off", "on", "low"):
        services.entities.patch(steward, URN, {"powerState": prop(state)})
    assert time.monotonic() - started < 1.0
    assert hook.wait_for(1)


BAD: list[tuple[str, dict[str, Any]]] = [
    ("ftp endpoint", subscription("ftp://127.0.0.1/x")),
    ("file endpoint", subscription("file:///etc/passwd")),
    ("no host", subscription("http:///x")),
    ("no notification", {"type": "Subscription", "entities": [{"type": "Streetlight"}]}),
    ("wrong type", {**subscription("http://127.0.0.1/x"), "type": "Sub"}),
    ("unknown entity type", subscription("http://x.test/", entities=[{"type": "Toaster"}])),
    ("nothing watched", subscription("http://x.test/", entities=[], watchedAttributes=[])),
    ("bad q", subscription("http://x.test/", q="powerState=on=")),
    ("negative throttling", subscription("http://x.test/", throttling=-1)),
    ("bad id", subscription("http://x.test/", id="sub-1")),
    (
        "bad idPattern",
        subscription("http://x.test/", entities=[{"type": "Streetlight", "idPattern": "("}]),
    ),
]


@pytest.mark.parametrize(("case", "body"), BAD, ids=[c for c, _ in BAD])
def test_malformed_subscriptions_are_refused(
    subs: SubscriptionService, steward: Principal, case: str, body: dict[str, Any]
) -> None:
    with pytest.raises(BadRequest):
        subs.create(steward, body)
    assert subs.list_subscriptions(steward) == []


def test_subscription_permissions(subs: SubscriptionService, city: SmallCity) -> None:
    gaj = city.principals["gaj_steward"]
    sub = subs.create(gaj, subscription("https://hooks.example.test/ngsi"))
    with pytest.raises(NotAuthenticated):
        subs.create(Principal.anonymous(public_catalog=True), subscription("http://x.test/"))
    with pytest.raises(PermissionDenied):
        subs.create(city.principals["citizen"], subscription("http://x.test/"))
    with pytest.raises(PermissionDenied):
        subs.get(city.principals["env_steward"], sub["id"])
    assert subs.list_subscriptions(city.principals["env_steward"]) == []
    assert [s["id"] for s in subs.list_subscriptions(city.principals["gaj_user"])] == [sub["id"]]
    assert [s["id"] for s in subs.list_subscriptions(city.principals["admin"])] == [sub["id"]]
    with pytest.raises(PermissionDenied):
        subs.delete(city.principals["gaj_user"], sub["id"])  # neither creator nor writer
    own = subs.create(city.principals["gaj_user"], subscription("http://x.test/"))
    subs.delete(city.principals["gaj_user"], own["id"])  # the creator may
    subs.delete(city.principals["gaj_admin"], sub["id"])
    with pytest.raises(NotFound):
        subs.get(gaj, sub["id"])


def test_close_stops_the_notifier(
    services: Services, subs: SubscriptionService, hook: Hook, steward: Principal
) -> None:
    services.entities.create(steward, streetlight("s1"))
    subs.create(steward, subscription(hook.url))
    services.entities.patch(steward, URN, {"powerState": prop("off")})
    hook.wait_for(1)
    assert any(t.name == "qc-ngsi-notifier" for t in threading.enumerate())
    services.entities.close()
    assert not any(t.name == "qc-ngsi-notifier" for t in threading.enumerate())

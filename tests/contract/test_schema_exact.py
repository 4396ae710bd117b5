"""The schema is exact: real answers (successes and errors) validate against the operation's
documented status, content type and body; every domain error code is documented; the served
document is the one the conformance tests fuzz."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from core.exceptions import DomainError
from tests.auth.conftest import FakeDiscord
from tests.contract.schema import API, SCHEMA, conforms, connection_kept_open, generated_schema, resolved, wsgi_client
from tests.contract.world import World, make_world
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

# Codes no API operation answers with: admin corrections, and the browser callback's redirects
# (which carry their code in ?auth_error=).
# Raised where no HTTP answer carries them: admin corrections, and refusals the Discord app turns
# into an ephemeral message inside a 200 interaction response.
NOT_API_CODES = {
    "already_corrected",
    "not_correctable",
    "reason_required",
    "domain_error",
    "discord_refused",
    "strava_not_held",  # the admin review queue
    # Answered outside the documented operations: Django's own 400/500 views, 405 for a method
    # a path does not have, and the OAuth flows' ?auth_error=<code> redirects.
    "bad_request",
    "server_error",
    "method_not_allowed",
    "authentication_failed",
    "invalid_state",
    "access_denied",
    "scope_missing",
    "account_mismatch",
}


@pytest.fixture
def world(db: None, discord: FakeDiscord) -> Iterator[World]:
    made = make_world()
    with connection_kept_open():
        yield made


def bearer(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.bearer}"}


def post_json(client: Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json", headers=headers or {})


def documented_codes(schema: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                body = resolved(schema, response).get("content", {}).get("application/json", {}).get("schema", {})
                for part in [body, *body.get("oneOf", [])]:
                    if "allOf" in part:
                        found |= set(part["allOf"][1]["properties"]["code"]["enum"])
    return found


def test_the_served_schema_is_the_fuzzed_one(api_client):
    served = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200
    assert json.loads(served.content) == json.loads(json.dumps(generated_schema()))


def test_every_domain_error_code_is_documented():
    codes = {cls.code for cls in _subclasses(DomainError)} | {"token_expired", "token_revoked"}
    missing = codes - NOT_API_CODES - documented_codes(generated_schema())
    assert not missing, f"domain errors no operation documents: {sorted(missing)}"


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in [direct, *_subclasses(direct)]]


def test_no_answer_is_a_free_form_object():
    """Every documented answer body has a shape: a component or the error schema."""
    schema = generated_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for media, content in resolved(schema, response).get("content", {}).items():
                    body = content["schema"]
                    shaped = "$ref" in body or "allOf" in body or "oneOf" in body or body.get("type") == "array"
                    # An image (the rank card) is bytes: its shape is its media type.
                    shaped = shaped or (media.startswith("image/") and body == {"type": "string", "format": "binary"})
                    # a text answer (GET /metrics: Prometheus' exposition format) is a string
                    shaped = shaped or (media == "text/plain" and body.get("type") == "string")
                    assert shaped, f"{method.upper()} {path} {status} {media}: {body}"
    for name, component in schema["components"]["schemas"].items():
        if component.get("type") == "object" and name != "Error":
            assert component.get("properties"), name


def test_add_xp_answer_lists_profile_level_up_and_layer_up():
    component = generated_schema()["components"]["schemas"]["AddXPResponse"]
    assert set(component["required"]) == {
        "entry",
        "awarded_xp",
        "profile",
        "level_up",
        "layer_up",
        "duplicate",
        "quests",
        "achievements",
        "boost",
    }
    assert component["properties"]["profile"]["allOf"][0]["$ref"].endswith("/Profile")


def test_xp_for_next_level_says_it_is_the_xp_still_needed():
    level = generated_schema()["components"]["schemas"]["Level"]["properties"]["xp_for_next_level"]
    assert "still needed" in level["description"]


def test_join_documents_403_layer_too_low_and_409s():
    responses = API["/api/v1/events/{event_id}/join/"]["POST"].definition.raw["responses"]
    codes = {
        status: set(
            resolved(SCHEMA, r)["content"]["application/json"]["schema"]["allOf"][1]["properties"]["code"]["enum"]
        )
        for status, r in responses.items()
        if status >= "400"
    }
    assert {"layer_too_low", "csrf_failed"} <= codes["403"]
    assert {"event_full", "already_joined", "event_not_open"} <= codes["409"]
    assert codes["401"] >= {"not_authenticated", "token_expired"} and codes["429"] == {"throttled"}
    assert codes["503"] == {"database_unavailable"}


def test_real_answers_validate_against_the_schema(world: World, discord: FakeDiscord):
    client = wsgi_client()
    player = bearer(world)
    conforms("GET", "/api/v1/health/", client.get("/api/v1/health/"))
    conforms("GET", "/api/v1/user/profile/", client.get("/api/v1/user/profile/", headers=player))
    for mode in ("reality", "cyber"):
        board = conforms(
            "GET", f"/api/v1/seasons/{mode}/", client.get(f"/api/v1/seasons/{mode}/?page_size=1", headers=player)
        )
        body = board.get_json()
        assert body["results"] and body["me"]["around"] and body["next"] is not None  # 2 players, pages of 1
    conforms("GET", "/api/v1/seasons/", client.get("/api/v1/seasons/"))
    conforms("GET", "/api/v1/activities/", client.get("/api/v1/activities/"))
    conforms("GET", "/api/v1/layers/", client.get("/api/v1/layers/"))
    conforms("GET", "/api/v1/events/", client.get("/api/v1/events/", headers=player))
    conforms("GET", "/api/v1/events/{event_id}/", client.get(f"/api/v1/events/{world.event_id}/"))
    conforms("GET", "/api/v1/xp/history/", client.get("/api/v1/xp/history/", headers=player))
    conforms("GET", "/api/v1/auth/session/", client.get("/api/v1/auth/session/", headers=player))
    conforms("GET", "/api/v1/auth/csrf/", client.get("/api/v1/auth/csrf/"))
    key = {"Authorization": f"Api-Key {world.service_key}"}
    path = "/api/v1/users/discord/{discord_id}/profile/"
    conforms("GET", path, client.get(f"/api/v1/users/discord/{world.player.discord_id}/profile/", headers=key))

    # xp/add: a level up and a layer up, then the replay of its Idempotency-Key.
    fresh = PlayerFactory()
    from core.services.accounts import tokens

    fresh_auth = {"Authorization": f"Bearer {tokens.issue_pair(fresh)['access']}", "Idempotency-Key": "run-1"}
    added = conforms(
        "POST",
        "/api/v1/xp/add/",
        post_json(client, "/api/v1/xp/add/", {"activity": "running", "units": "5.3"}, fresh_auth),
    )
    body = added.get_json()
    assert added.status_code == 201 and body["level_up"] is not None and body["layer_up"] is not None
    assert body["entry"]["units"] == "5.30" and body["profile"]["xp"]["total"] == body["awarded_xp"] == 1590
    replay = conforms(
        "POST",
        "/api/v1/xp/add/",
        post_json(client, "/api/v1/xp/add/", {"activity": "running", "units": 5.3}, fresh_auth),
    )
    assert replay.status_code == 201 and replay.get_json()["duplicate"] is True
    # By a service key for a Discord user.
    conforms(
        "POST",
        "/api/v1/xp/add/",
        post_json(
            client, "/api/v1/xp/add/", {"activity": "pushups", "units": 3, "discord_id": "323456789012345678"}, key
        ),
    )

    # Join an event, then leave it.
    join = f"/api/v1/events/{world.event_id}/join/"
    conforms("POST", "/api/v1/events/{event_id}/join/", client.post(join, headers=player))
    conforms(
        "POST",
        "/api/v1/events/{event_id}/leave/",
        client.post(f"/api/v1/events/{world.event_id}/leave/", headers=player),
    )

    # Sign in as an app with a Discord token, refresh, log out.
    discord.add_user("423456789012345678", "zoe")
    signed = conforms(
        "POST",
        "/api/v1/auth/discord/",
        post_json(
            client,
            "/api/v1/auth/discord/",
            {"access_token": discord.issue_token("423456789012345678"), "client": "app"},
        ),
    )
    pair = signed.get_json()
    assert pair["method"] == "token" and pair["token_type"] == "Bearer"
    refreshed = conforms(
        "POST",
        "/api/v1/auth/token/refresh/",
        post_json(client, "/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}),
    )
    conforms(
        "POST",
        "/api/v1/auth/logout/",
        post_json(client, "/api/v1/auth/logout/", {"refresh": refreshed.get_json()["refresh"]}),
    )
    conforms("GET", "/api/v1/auth/discord/", client.get("/api/v1/auth/discord/"))


@pytest.mark.parametrize(
    ("method", "path", "url", "body", "who", "status", "code"),
    [
        ("GET", "/api/v1/user/profile/", "/api/v1/user/profile/", None, "anonymous", 401, "not_authenticated"),
        ("GET", "/api/v1/user/profile/", "/api/v1/user/profile/", None, "forged", 401, "token_invalid"),
        ("GET", "/api/v1/user/profile/", "/api/v1/user/profile/", None, "key", 403, "permission_denied"),
        (
            "GET",
            "/api/v1/seasons/reality/",
            "/api/v1/seasons/reality/?season=2026-13",
            None,
            "anonymous",
            400,
            "invalid_season",
        ),
        (
            "GET",
            "/api/v1/seasons/cyber/",
            "/api/v1/seasons/cyber/?season=1999-01",
            None,
            "anonymous",
            404,
            "unknown_season",
        ),
        (
            "GET",
            "/api/v1/seasons/cyber/",
            "/api/v1/seasons/cyber/?league=wood",
            None,
            "anonymous",
            400,
            "unknown_league",
        ),
        ("GET", "/api/v1/events/", "/api/v1/events/?page=99", None, "anonymous", 404, "page_not_found"),
        ("GET", "/api/v1/events/{event_id}/", "/api/v1/events/999999/", None, "anonymous", 404, "unknown_event"),
        ("POST", "/api/v1/events/{event_id}/join/", "DUNGEON", None, "player", 403, "layer_too_low"),
        (
            "POST",
            "/api/v1/xp/add/",
            "/api/v1/xp/add/",
            {"activity": "running", "units": "1.234"},
            "player",
            400,
            "max_decimal_places",
        ),
        (
            "POST",
            "/api/v1/xp/add/",
            "/api/v1/xp/add/",
            {"activity": "running", "units": "1e2"},
            "player",
            400,
            "invalid",
        ),
        (
            "POST",
            "/api/v1/xp/add/",
            "/api/v1/xp/add/",
            {"activity": "running", "units": 101},
            "player",
            400,
            "units_over_entry_max",
        ),
        (
            "POST",
            "/api/v1/xp/add/",
            "/api/v1/xp/add/",
            {"activity": "running", "units": 1},
            "session-no-csrf",
            403,
            "csrf_failed",
        ),
        ("POST", "/api/v1/xp/add/", "/api/v1/xp/add/", "{", "player", 400, "parse_error"),
        ("POST", "/api/v1/xp/add/", "/api/v1/xp/add/", "x" * 20000, "player", 413, "payload_too_large"),
        (
            "GET",
            "/api/v1/users/discord/{discord_id}/profile/",
            "/api/v1/users/discord/12/profile/",
            None,
            "key",
            400,
            "invalid_discord_id",
        ),
        (
            "GET",
            "/api/v1/users/discord/{discord_id}/profile/",
            "/api/v1/users/discord/12345678901234567/profile/",
            None,
            "key",
            404,
            "unknown_discord_user",
        ),
        (
            "GET",
            "/api/v1/users/discord/{discord_id}/profile/",
            "/api/v1/users/discord/12/profile/",
            None,
            "player",
            403,
            "service_key_required",
        ),
        (
            "POST",
            "/api/v1/auth/discord/",
            "/api/v1/auth/discord/",
            {"code": "nope", "redirect_uri": "igoultra://auth", "client": "app"},
            "anonymous",
            400,
            "discord_code_invalid",
        ),
        (
            "POST",
            "/api/v1/auth/discord/",
            "/api/v1/auth/discord/",
            {"client": "app"},
            "anonymous",
            400,
            "code_or_token_required",
        ),
        (
            "POST",
            "/api/v1/auth/token/refresh/",
            "/api/v1/auth/token/refresh/",
            {"refresh": "abc"},
            "anonymous",
            401,
            "token_invalid",
        ),
        ("GET", "/api/v1/activities/", "/api/v1/activities/", None, "html", 406, "not_acceptable"),
    ],
)
def test_real_errors_validate_against_the_schema(world, method, path, url, body, who, status, code):
    client = wsgi_client()
    headers = {
        "anonymous": {},
        "forged": {"Authorization": "Bearer not.a.token"},
        "key": {"Authorization": f"Api-Key {world.service_key}"},
        "player": bearer(world),
        "session-no-csrf": {},
        "html": {"Accept": "text/html"},
    }[who]
    if who == "session-no-csrf":
        client.set_cookie("sessionid", world.session_cookie)
    if url == "DUNGEON":
        from layers.models import Event

        url = f"/api/v1/events/{Event.objects.get(name='Deep dive').pk}/join/"
    if body is None:
        response = client.open(url, method=method, headers=headers)
    elif isinstance(body, str):
        response = client.open(url, method=method, headers=headers, data=body, content_type="application/json")
    else:
        response = post_json(client, url, body, headers)
    conforms(method, path, response)
    assert (response.status_code, response.get_json()["code"]) == (status, code)


def test_shared_error_answers_are_written_once_in_components_responses():
    schema = generated_schema()
    shared = schema["components"]["responses"]
    assert {"ValidationError400", "Unauthenticated401", "Forbidden403", "NotFound404", "Unavailable503"} <= set(shared)
    assert {"Throttled429", "PayloadTooLarge413", "UnsupportedMediaType415", "NotAcceptable406"} <= set(shared)
    for response in shared.values():
        assert response["content"]["application/json"]["schema"]["allOf"][0] == {"$ref": "#/components/schemas/Error"}
    inline: dict[str, int] = {}
    references: set[str] = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if "$ref" in response:
                    references.add(response["$ref"].rsplit("/", 1)[1])
                elif status >= "400" and "allOf" in response.get("content", {}).get("application/json", {}).get(
                    "schema", {}
                ):
                    key = json.dumps(response, sort_keys=True)
                    inline[key] = inline.get(key, 0) + 1
    assert set(references) == set(shared)  # every shared answer is used, none is unused
    assert [key for key, count in inline.items() if count > 1] == []  # nothing shared is inlined
    assert schema["paths"]["/api/v1/activities/"]["get"]["responses"]["503"] == {
        "$ref": "#/components/responses/Unavailable503"
    }

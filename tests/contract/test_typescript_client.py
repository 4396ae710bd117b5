"""The TypeScript client (clients/typescript/): generated from the schema, type-checked with
``tsc --strict``, and its first-steps script run against a live server (signing in as an app
through the stand-in Discord, and with an app token minted for another player)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from core.services.accounts import tokens
from tests.auth.conftest import FakeDiscord
from tests.contract.schema import generated_schema
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.client
CLIENT = Path(settings.BASE_DIR) / "clients" / "typescript"


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    npm = shutil.which(command[0])
    assert npm is not None, f"{command[0]} is needed (Node.js 20+ with npm)"
    done = subprocess.run(  # noqa: S603
        [npm, *command[1:]],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_published_schema_is_current():
    """clients/typescript/openapi.json is what the server serves: regenerate it with
    `make client` whenever an endpoint changes."""
    committed = (CLIENT / "openapi.json").read_text()
    assert committed == published(generated_schema()), "run `make client` and commit the result"


def published(schema: dict[str, Any]) -> str:
    """The committed form of the schema: compact, keys sorted (scripts/fetch-schema.mjs)."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def test_the_published_schema_is_what_the_server_serves(api_client):
    served = api_client.get("/api/v1/schema/?format=json", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert served.status_code == 200
    assert published(served.json()) == (CLIENT / "openapi.json").read_text()


@pytest.mark.django_db(transaction=True)
def test_the_client_compiles_strictly_and_its_first_steps_pass(live_server, discord: FakeDiscord, tmp_path: Path):
    work = tmp_path / "client"
    shutil.copytree(CLIENT, work, ignore=shutil.ignore_patterns("node_modules", "dist"))
    (work / "openapi.json").write_text(published(generated_schema()))
    run("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", cwd=work)
    run("npm", "run", "generate", cwd=work)
    generated = (work / "src" / "schema.d.ts").read_text()
    assert generated == (CLIENT / "src" / "schema.d.ts").read_text(), "run `make client` and commit the result"
    run("npm", "run", "build", cwd=work)  # tsc --strict, examples included

    discord.add_user("523456789012345678", "nova", global_name="Nova")
    signed_in = run(
        "node",
        "dist/examples/first-steps.js",
        cwd=work,
        env={
            "IGOULTRA_API_URL": live_server.url,
            "IGOULTRA_DISCORD_ACCESS_TOKEN": discord.issue_token("523456789012345678"),
        },
    )
    assert "signed in with app tokens" in signed_in and "first steps: all good" in signed_in

    player = PlayerFactory()
    with_token = run(
        "node",
        "dist/examples/first-steps.js",
        cwd=work,
        env={"IGOULTRA_API_URL": live_server.url, "IGOULTRA_ACCESS_TOKEN": tokens.issue_pair(player)["access"]},
    )
    assert f"profile of {player.public_name}" in with_token and "first steps: all good" in with_token

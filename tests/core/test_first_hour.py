"""A newcomer's first hour: .env.example changes nothing when copied, the local URLs follow PORT,
the local token lasts the afternoon, commands print no noise, and the README lists what exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
from django.core.management import call_command, get_commands
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from ultrabackend import gunicorn_dev
from users.tests.factories import PlayerFactory

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


# --- .env.example ---------------------------------------------------------------------------


def test_env_example_has_no_live_line_and_lists_every_variable_the_settings_read():
    lines = (ROOT / ".env.example").read_text().splitlines()
    live = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert live == []  # copying it to .env changes nothing
    documented = {m.group(1) for line in lines if (m := re.match(r"#([A-Z][A-Z0-9_]+)=", line))}
    read = set()
    for path in (ROOT / "ultrabackend" / "settings").glob("*.py"):
        read |= set(re.findall(r"env(?:\.[a-z]+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", path.read_text()))
    assert read and read <= documented, sorted(read - documented)
    consumers = next(line for line in lines if line.startswith("#DOMAIN_EVENT_CONSUMERS="))
    default = re.search(
        r'"DOMAIN_EVENT_CONSUMERS", default=\["([^"]+)"\]', (ROOT / "ultrabackend/settings/base.py").read_text()
    )
    assert consumers.split("=", 1)[1] == default.group(1)  # uncommented, it keeps the default


# --- PORT and the local token ----------------------------------------------------------------


@pytest.mark.django_db
def test_dev_token_uses_port_and_prints_a_token_for_the_afternoon_and_how_to_refresh(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("PORT", "9123")
    player = PlayerFactory(username="ada")
    out = StringIO()
    call_command("dev_token", "ada", stdout=out)
    text = out.getvalue()
    assert "127.0.0.1:8000" not in text and "http://127.0.0.1:9123/api/v1/user/profile/" in text
    assert "http://127.0.0.1:9123/api/v1/auth/token/refresh/" in text
    access = re.search(r"access token \(Bearer, 43200 s = 12 h\): (\S+)", text).group(1)
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {access}").get("/api/v1/user/profile/").json()["id"] == player.pk
    short = StringIO()
    call_command("dev_token", "ada", "--hours", "1", stdout=short)
    assert "(Bearer, 3600 s = 1 h)" in short.getvalue()


@pytest.mark.parametrize("address", [[("127.0.0.1", 9123)], ("127.0.0.1", 9123), None])
def test_the_make_run_banner_shows_the_port_it_listens_on(address, monkeypatch, capsys):
    monkeypatch.setenv("PORT", "9123")
    gunicorn_dev.when_ready(SimpleNamespace(address=address))
    banner = capsys.readouterr().out
    assert "http://127.0.0.1:9123/api/v1/docs/" in banner and ":8000" not in banner


# --- no noise -----------------------------------------------------------------------------


def _manage(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ultrabackend.settings.local", "PYTHONWARNINGS": "default"}
    return subprocess.run(
        [sys.executable, "-X", "dev", "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="runs manage.py against DATABASE_URL")
def test_commands_print_no_warnings_and_shell_one_liners_no_banner():
    checked = _manage("check")
    assert checked.returncode == 0 and "Warning" not in checked.stderr, checked.stderr
    shell = _manage("shell", "-c", "print(CustomUser.__name__)")
    assert shell.returncode == 0 and shell.stdout == "CustomUser\n", shell.stdout + shell.stderr
    assert "Warning" not in shell.stderr, shell.stderr


# --- the README -------------------------------------------------------------------------------


def _api_paths() -> set[str]:
    """Every route under /api/v1/, parameters written <name>."""
    found: set[str] = set()

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                found.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", route).lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns)
    return {p for p in found if p.startswith("/api/v1/") and "(?P" not in p and "\\" not in p}


def test_the_readme_table_lists_every_endpoint_and_one_what_is_where():
    assert README.count("## What is where") == 1
    table = README.split("## Key endpoints", 1)[1].split("\n## ", 1)[0]
    missing = sorted(p for p in _api_paths() if f"{p}`" not in table and f"{p} " not in table)
    assert not missing, f"add to the README's endpoint table: {missing}"


def _what_is_where() -> list[str]:
    """The first column of the README's "What is where" block: the paths it names."""
    block = README.split("## What is where", 1)[1].split("```", 2)[1]
    return [line.split()[0] for line in block.splitlines() if line and not line[0].isspace()]


def _tracked_folders() -> set[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {name.split("/", 1)[0] for name in listed.splitlines() if "/" in name and not name.startswith(".")}


def test_what_is_where_names_every_folder_and_every_domain_room_and_nothing_else():
    named = _what_is_where()
    assert len(named) == len(set(named)), "a path is named twice"
    top = {name.split("/", 1)[0] for name in named}
    assert _tracked_folders() <= top, f"add to What is where: {sorted(_tracked_folders() - top)}"
    for layer in ("services", "selectors"):
        rooms = {f"core/{layer}/{d.name}/" for d in (ROOT / "core" / layer).iterdir() if (d / "__init__.py").exists()}
        assert rooms, layer
        assert rooms <= set(named), f"add to What is where: {sorted(rooms - set(named))}"
        flat = sorted(f.name for f in (ROOT / "core" / layer).glob("*.py") if f.name != "__init__.py")
        assert not flat, f"core/{layer}/ holds domain packages only, not {flat}"
    missing = [name for name in named if "<" not in name and not (ROOT / name).exists()]
    assert not missing, f"What is where names paths that do not exist: {missing}"


def test_the_readme_names_only_commands_that_exist_and_one_jobs_table():
    commands = set(get_commands())
    named = set(re.findall(r"`(?:python )?manage\.py ([a-z_]+)", README))
    named |= set(re.findall(r"`python manage\.py ([a-z_]+)", README))
    assert named and named <= commands, sorted(named - commands)
    assert README.count("| Every |") == 1
    assert README.count("procrastinate worker` |") <= 1
    assert "the seed's" not in README

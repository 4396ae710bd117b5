"""gunicorn settings for `make run`: access log on the console, and once the server listens, a
short "where to go" for a developer's first minutes."""

import os

accesslog = "-"


def listening_on(server):  # type: ignore[no-untyped-def]
    """The address gunicorn bound (a list of (host, port) in gunicorn 20+, or one pair), else
    127.0.0.1 and PORT."""
    address = server.address
    if isinstance(address, list) and address:
        address = address[0]
    if isinstance(address, tuple) and len(address) == 2:
        return address
    return "127.0.0.1", int(os.environ.get("PORT") or 8000)


def when_ready(server):  # type: ignore[no-untyped-def]
    host, port = listening_on(server)
    base = f"http://{host}:{port}"
    print(
        "\n".join(
            [
                "",
                "iGoUltra is up (web + worker), with demo players ada, linus, grace, ken, margaret:",
                f"  API docs (Swagger UI)  {base}/api/v1/docs/",
                f"  OpenAPI schema         {base}/api/v1/schema/",
                f"  API index              {base}/api/v1/",
                f"  Admin                  {base}/admin/   (make admin: creates admin / admin-password locally)",
                f"  Sign in locally        PORT={port} .venv/bin/python manage.py dev_token ada   (session cookie + app token)",
                "  Frontends on localhost:3000, :5173 and :8080 may call the API (CORS) without configuration.",
                "",
            ]
        ),
        flush=True,
    )

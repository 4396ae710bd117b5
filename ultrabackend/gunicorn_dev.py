"""gunicorn settings for `make run`: access log on the console, and once the server listens, a
short "where to go" for a developer's first minutes."""

accesslog = "-"


def when_ready(server):  # type: ignore[no-untyped-def]
    host, port = server.address[0] if server.address else ("127.0.0.1", 8000)
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
                "  Sign in locally        .venv/bin/python manage.py dev_token ada   (session cookie + app token)",
                "  Frontends on localhost:3000, :5173 and :8080 may call the API (CORS) without configuration.",
                "",
            ]
        ),
        flush=True,
    )

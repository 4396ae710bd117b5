"""Django's ``shell`` without the "N objects imported automatically" line for one-liners
(``manage.py shell -c "..."``, as `make admin` runs it): the models are still imported, only
the banner meant for an interactive session is left out."""

from typing import Any

from django.core.management.commands.shell import Command as DjangoShell


class Command(DjangoShell):
    def get_namespace(self, **options: Any) -> dict[str, Any]:
        if options.get("command"):
            options = {**options, "verbosity": 0}
        return super().get_namespace(**options)

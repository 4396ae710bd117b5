"""Whether a player shows on public pages (community pages, rank cards): docs/showcase.md."""

from __future__ import annotations

from users.models import CustomUser


def set_profile_public(*, user: CustomUser, public: bool) -> CustomUser:
    """Show (True) or hide (False) the player on every public page; takes effect at once (pages
    and cards read the flag on every request)."""
    if user.public != public:
        user.public = public
        user.save(update_fields=["public"])
    return user

"""All-time boards: players ranked on lifetime XP per mode, in the seasonal boards' shape.

Ranks are standard competition ranks (1, 2, 2, 4) over players with XP > 0, ordered by XP,
then user id. Deactivated and erased accounts are not on them. Read from PostgreSQL: pages
walk the (mode XP desc, user) index; "players ahead of me" is an index-only count minus the
(few) inactive accounts ahead, found through a partial index."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.constants.layers import layer_for_xp
from core.selectors.seasons.leaderboard import AROUND, HIDDEN_NAME, Board, Row, ranked_rows
from users.models import CustomUser
from xp.models import UserProfile


def _ranked(mode: str) -> QuerySet[UserProfile]:
    return UserProfile.objects.filter(**{f"{mode}_xp__gt": 0})


def _ahead(mode: str, xp: int) -> int:
    """Active players with more lifetime XP than ``xp`` in ``mode``."""
    field = f"{mode}_xp"
    everyone = _ranked(mode).filter(**{f"{field}__gt": xp}).count()
    inactive_ids = CustomUser.objects.filter(is_active=False).values("id")
    inactive = UserProfile.objects.filter(user_id__in=inactive_ids, **{f"{field}__gt": xp}).count()
    return everyone - inactive


def all_time_board(*, mode: str, offset: int, limit: int, me_id: int | None) -> Board:
    """One page of the all-time board of ``mode``, with the signed-in player's rank and neighbours."""
    field = f"{mode}_xp"
    order = (f"-{field}", "user_id")
    active = _ranked(mode).filter(user__is_active=True)
    page = list(active.order_by(*order).values_list("user_id", field)[offset : offset + limit + 1])
    first_rank = _ahead(mode, page[0][1]) + 1 if page else 0
    board = Board("all-time", mode, None, ranked_rows(page[:limit], first_rank, offset), has_next=len(page) > limit)
    mine = active.filter(user_id=me_id).values_list(field, flat=True).first() if me_id is not None else None
    if mine:
        ahead_of_me = Q(**{f"{field}__gt": mine}) | Q(**{field: mine, "user_id__lt": me_id})
        above = list(active.filter(ahead_of_me).order_by(field, "-user_id").values_list("user_id", field)[:AROUND])
        above.reverse()
        below = list(
            active.exclude(ahead_of_me).exclude(user_id=me_id).order_by(*order).values_list("user_id", field)[:AROUND]
        )
        rank = _ahead(mode, mine) + 1
        position = rank - 1 + active.filter(**{field: mine, "user_id__lt": me_id}).count()
        first = _ahead(mode, above[0][1]) + 1 if above else rank
        assert me_id is not None
        board.around = ranked_rows([*above, (me_id, mine), *below], first, position - len(above))
        board.me = next(row for row in board.around if row.user_id == me_id)
    _attach_users(board, mode)
    return board


def _attach_users(board: Board, mode: str) -> None:
    rows: list[Row] = board.rows + board.around
    found = {
        values[0]: values[1:]
        for values in CustomUser.objects.filter(pk__in={row.user_id for row in rows}).values_list(
            "pk",
            "username",
            "display_name",
            "avatar_url",
            "profile__level",
            "profile__reality_league",
            "profile__cyber_league",
            "public",
        )
    }
    me_id = board.me.user_id if board.me is not None else None
    for row in rows:
        if row.user_id not in found:
            continue
        username, display_name, avatar_url, level, reality_league, cyber_league, public = found[row.user_id]
        if not public and row.user_id != me_id:  # hidden: the row stays, the identity does not
            username, display_name, avatar_url = f"hidden-{row.user_id}", HIDDEN_NAME, ""
        row.username, row.display_name, row.avatar_url = username, display_name or username, avatar_url or None
        row.level = level or 1
        row.layer = layer_for_xp(mode, row.xp).code
        row.league = reality_league if mode == "reality" else cyber_league

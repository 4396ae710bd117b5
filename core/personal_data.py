"""Every model that holds something about a person, and what the export and the erasure do with it.

One table, read by both paths: ``GET /api/v1/user/export/`` (core/selectors/accounts/account.py) and
``DELETE /api/v1/user/`` (core/services/accounts/account_service.py). A model with a foreign key to the
user model or a ``discord_id`` field that is missing here fails
tests/users/test_personal_data_registry.py: whoever adds one says here how it is exported and
erased.

- ``export``: the key of the export document that holds the model's rows. With ``rows=True`` the
  export lists the rows' values itself (every concrete field but ``omit``); otherwise the
  selector builds that key (a shaped document).
- ``erase``: ``DELETE`` (the rows of the player go, generically, by every user foreign key of the
  model), ``KEEP`` (history others' standings rest on; it stays under the pseudonymous account),
  or ``CUSTOM`` (account_service does something model-specific, said in ``how``).
"""

from __future__ import annotations

from dataclasses import dataclass

DELETE, KEEP, CUSTOM = "delete", "keep", "custom"


@dataclass(frozen=True)
class Handling:
    export: str
    erase: str
    how: str
    rows: bool = False
    omit: tuple[str, ...] = ()


PERSONAL_DATA: dict[str, Handling] = {
    "users.CustomUser": Handling(
        "account",
        CUSTOM,
        "pseudonymised: username erased-<id>; names, e-mail, avatar, discord_id, password, groups cleared; inactive",
    ),
    "account.EmailAddress": Handling("email_addresses", DELETE, "deleted", rows=True),
    "socialaccount.SocialAccount": Handling("linked_accounts", DELETE, "deleted with allauth's stored tokens"),
    "admin.LogEntry": Handling(
        "admin_actions", KEEP, "kept: the audit of what a staff account did, under the pseudonym", rows=True
    ),
    "xp.UserProfile": Handling("profile", KEEP, "kept: totals derived from the ledger"),
    "xp.XPEntry": Handling("xp_entries", CUSTOM, "kept (others' ranks rest on it); notes (free text) cleared"),
    "xp.DailyUsage": Handling("daily_usage", DELETE, "deleted", rows=True),
    "seasons.SeasonScore": Handling(
        "season_scores", CUSTOM, "open seasons' scores deleted (off the boards, Redis too); closed ones kept"
    ),
    "seasons.SeasonResult": Handling("season_results", KEEP, "kept: nobody's final rank moves"),
    "layers.RealityLayerStatus": Handling("reality_layer_status", KEEP, "kept (derived)", rows=True),
    "layers.CyberLayerStatus": Handling("cyber_layer_status", KEEP, "kept (derived)", rows=True),
    "layers.LayerChange": Handling("layer_changes", KEEP, "kept (history of the ledger)"),
    "layers.EventParticipation": Handling(
        "event_participations",
        CUSTOM,
        "seats of events not ended given back (participant_count decremented, event_left recorded); past ones kept",
    ),
    "community.GuildMember": Handling("discord_guilds", DELETE, "deleted", rows=True),
    "community.DiscordLink": Handling(
        "discord_link",
        CUSTOM,
        "deleted; a job clears the Linked Roles connection at Discord and revokes the tokens",
    ),
    "community.DiscordMessage": Handling(
        "discord_messages",
        DELETE,
        "deleted: announcements about the player and DMs to them not yet sent are never sent",
        rows=True,
        omit=("request_id",),
    ),
    "integrations.StravaConnection": Handling(
        "strava", CUSTOM, "deleted; Strava deauthorised after commit (core/services/strava/strava_service.py)"
    ),
    "integrations.StravaActivity": Handling("strava", CUSTOM, "kept as ledger sources; titles (free text) cleared"),
    "events.DomainEvent": Handling(
        "domain_events", KEEP, "kept: facts only (a receiver gets the pseudonym)", rows=True
    ),
    "events.PlayerEventSequence": Handling("domain_event_sequence", KEEP, "kept: a counter", rows=True),
    "achievements.AchievementUnlock": Handling("achievements", DELETE, "deleted", rows=True),
    "achievements.StreakState": Handling("streaks", DELETE, "deleted", rows=True),
    "achievements.StreakFreeze": Handling("streak_freezes", DELETE, "deleted", rows=True),
    "achievements.SeasonTrophy": Handling(
        "season_trophies", KEEP, "kept under the pseudonym: a season's podium does not change", rows=True
    ),
    "claims.Claim": Handling(
        "claims",
        CUSTOM,
        "kept (votes were cast on them); pending ones withdrawn, notes and proof links cleared",
        rows=True,
    ),
    "claims.ClaimVote": Handling(
        "claim_votes", CUSTOM, "kept (claims were decided with them); the reasons (free text) cleared", rows=True
    ),
    "quests.Quest": Handling(
        "quest_goals", DELETE, "the player's own goals deleted (challenges have no owner)", rows=True
    ),
    "quests.QuestParticipation": Handling(
        "quest_participations",
        CUSTOM,
        "the player's participations deleted; as a reviewer of others' completions, the name is cleared",
        rows=True,
    ),
}

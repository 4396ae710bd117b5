"""The default activity catalogue installed with every database (a data migration reads this)."""

from decimal import Decimal

from .modes import CYBER, REALITY

SOURCES = ("web", "mobile", "discord", "bot", "admin", "import", "strava", "quest", "claim", "review")
SOURCE_CHOICES = [(s, s) for s in SOURCES]

# key, name, mode, unit, xp per unit, max units per entry, daily unit cap
DEFAULT_ACTIVITIES: tuple[tuple[str, str, str, str, Decimal, Decimal, Decimal | None], ...] = (
    ("pushups", "Push-ups", REALITY, "repetition", Decimal("10"), Decimal("1000"), Decimal("3000")),
    ("squats", "Squats", REALITY, "repetition", Decimal("5"), Decimal("1000"), Decimal("3000")),
    ("running", "Running", REALITY, "km", Decimal("300"), Decimal("100"), Decimal("150")),
    ("walking", "Walking", REALITY, "km", Decimal("200"), Decimal("100"), Decimal("150")),
    ("cycling", "Cycling", REALITY, "km", Decimal("150"), Decimal("400"), Decimal("600")),
    ("swimming", "Swimming", REALITY, "km", Decimal("500"), Decimal("30"), Decimal("40")),
    ("steps", "Steps", REALITY, "step", Decimal("0.2"), Decimal("100000"), Decimal("150000")),
    ("coding", "Coding", CYBER, "minute", Decimal("5"), Decimal("720"), Decimal("960")),
    ("study", "Study", CYBER, "minute", Decimal("3"), Decimal("720"), Decimal("960")),
    ("hack_quest", "Hack quest", CYBER, "quest", Decimal("250"), Decimal("5"), Decimal("20")),
)

# Units above which one self-reported entry is held for review (ActivityType.review_above): about
# what a strong amateur does in one session; above it the community checks it first.
DEFAULT_REVIEW_ABOVE: dict[str, Decimal] = {
    "pushups": Decimal("300"),
    "squats": Decimal("500"),
    "running": Decimal("25"),
    "walking": Decimal("30"),
    "cycling": Decimal("100"),
    "swimming": Decimal("5"),
    "steps": Decimal("40000"),
    "coding": Decimal("360"),
    "study": Decimal("360"),
    "hack_quest": Decimal("2"),
}

# Activities the game awards itself (``ActivityType.system``): one XP per unit, no per-entry or
# daily limit (trusted awards skip both). key, name, mode, unit.
QUEST_REWARD_ACTIVITY = {REALITY: "quest_reward_reality", CYBER: "quest_reward_cyber"}
COMMUNITY_REVIEW_ACTIVITY = "community_review"
SYSTEM_ACTIVITIES: tuple[tuple[str, str, str, str], ...] = (
    (QUEST_REWARD_ACTIVITY[REALITY], "Quest reward (reality)", REALITY, "xp"),
    (QUEST_REWARD_ACTIVITY[CYBER], "Quest reward (cyber)", CYBER, "xp"),
    (COMMUNITY_REVIEW_ACTIVITY, "Community review", CYBER, "xp"),
)

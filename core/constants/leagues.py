"""The league ladder (per mode) and the season-end movement rules."""

BRONZE, SILVER, GOLD, PLATINUM, DIAMOND, ULTRA = "bronze", "silver", "gold", "platinum", "diamond", "ultra"
LEAGUES: tuple[str, ...] = (BRONZE, SILVER, GOLD, PLATINUM, DIAMOND, ULTRA)
# A league as a number (Bronze 1 ... Ultra 6): Discord Linked Roles compare integers.
LEAGUE_NUMBER = {league: i + 1 for i, league in enumerate(LEAGUES)}
LEAGUE_CHOICES = [(league, league.capitalize()) for league in LEAGUES]
DEFAULT_LEAGUE = BRONZE

PROMOTE_FRACTION_NUM, PROMOTE_FRACTION_DEN = 10, 100  # top 10 % of players with XP move up
DEMOTE_FRACTION_NUM, DEMOTE_FRACTION_DEN = 20, 100  # bottom 20 % move down


def league_up(league: str) -> str:
    i = LEAGUES.index(league)
    return LEAGUES[min(i + 1, len(LEAGUES) - 1)]


def league_down(league: str) -> str:
    i = LEAGUES.index(league)
    return LEAGUES[max(i - 1, 0)]


def promotion_counts(players_with_xp: int) -> tuple[int, int]:
    """How many of ``players_with_xp`` ranked players move up and down (floor of each share).

    Floors, so a board of 9 promotes nobody (10 % of 9 is 0.9) and a board of 1 demotes nobody;
    the two groups never overlap.
    """
    up = players_with_xp * PROMOTE_FRACTION_NUM // PROMOTE_FRACTION_DEN
    down = players_with_xp * DEMOTE_FRACTION_NUM // DEMOTE_FRACTION_DEN
    down = min(down, players_with_xp - up)
    return up, down


def cohort_moves(players_with_xp: int, capacity: int, promote: int, demote: int, league: str) -> tuple[int, int]:
    """How many of a cohort's ``players_with_xp`` ranked players move up and down at close.

    A full cohort (``capacity`` players) moves ``promote`` up and ``demote`` down; a smaller one
    the same shares, floored, but at least one up whenever two or more players earned XP. The
    two groups never overlap; the top league promotes nobody and the lowest demotes nobody.
    """
    n = players_with_xp
    up = n * promote // capacity if capacity > 0 else 0
    if n >= 2:
        up = max(up, 1)
    up = min(up, n)
    down = min(n * demote // capacity if capacity > 0 else 0, n - up)
    if league == LEAGUES[-1]:
        up = 0
    if league == LEAGUES[0]:
        down = 0
    return up, down

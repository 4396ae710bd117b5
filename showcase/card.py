"""The rank card: 934 x 282 pixels, PNG, light or dark, English or German, drawn with Pillow from
``CardFacts`` alone (no queries, no network: the avatar is handed in).

Fonts are the DejaVu Sans files shipped in showcase/fonts (licence beside them), loaded once
per process, so a card renders the same on every machine. Bump RENDER_VERSION whenever the
drawing changes: it is part of the card's ETag.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from core.selectors.showcase.showcase import CardFacts

WIDTH, HEIGHT = 934, 282
RENDER_VERSION = "1"
THEMES = ("dark", "light")
LANGUAGES = ("en", "de")
FONTS = Path(__file__).resolve().parent / "fonts"
AVATAR_SIZE = 180

LABELS = {
    "en": {
        "rank": "RANK",
        "level": "LEVEL",
        "total": "Total XP",
        "season": "Season",
        "league": "league",
        "layer": "Layer",
        "unranked": "not ranked yet",
        "max": "max level",
        "streak": "Streak",
        "days": "days",
        "reality": "Reality",
        "cyber": "Cyber",
    },
    "de": {
        "rank": "RANG",
        "level": "STUFE",
        "total": "XP gesamt",
        "season": "Saison",
        "league": "Liga",
        "layer": "Ebene",
        "unranked": "noch ohne Rang",
        "max": "höchste Stufe",
        "streak": "Serie",
        "days": "Tage",
        "reality": "Reality",
        "cyber": "Cyber",
    },
}

LEAGUE_NAMES = {
    "en": {"bronze": "Bronze", "silver": "Silver", "gold": "Gold", "platinum": "Platinum", "diamond": "Diamond"},
    "de": {"bronze": "Bronze", "silver": "Silber", "gold": "Gold", "platinum": "Platin", "diamond": "Diamant"},
}


@dataclass(frozen=True)
class Palette:
    background: tuple[int, int, int]
    panel: tuple[int, int, int]
    text: tuple[int, int, int]
    muted: tuple[int, int, int]
    track: tuple[int, int, int]
    accent: dict[str, tuple[int, int, int]]


PALETTES = {
    # Text on background meets WCAG AA contrast in both themes (muted text too, at its size).
    "dark": Palette((24, 26, 32), (35, 39, 47), (245, 246, 250), (170, 176, 190), (60, 65, 78),
                    {"reality": (46, 204, 113), "cyber": (88, 166, 255)}),
    "light": Palette((244, 245, 248), (255, 255, 255), (22, 24, 30), (80, 86, 100), (214, 218, 226),
                     {"reality": (22, 128, 66), "cyber": (22, 92, 190)}),
}  # fmt: skip


@lru_cache(maxsize=32)
def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size)


def number(value: int, lang: str) -> str:
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "de" else text


def fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, *, bold: bool = False) -> tuple[str, int]:
    """``text`` in the largest size up to ``size`` (down to 60 %) that fits ``width``, cut with … if
    even that is too wide."""
    for candidate in range(size, int(size * 0.6) - 1, -2):
        if draw.textlength(text, font=font(candidate, bold=bold)) <= width:
            return text, candidate
    small = int(size * 0.6)
    while text and draw.textlength(text + "…", font=font(small, bold=bold)) > width:
        text = text[:-1]
    return text + "…", small


@lru_cache(maxsize=8)
def _circle_mask(size: int) -> Image.Image:
    # Drawn 4x larger and scaled down: a smooth edge.
    big = Image.new("L", (size * 4, size * 4), 0)
    ImageDraw.Draw(big).ellipse((0, 0, size * 4 - 1, size * 4 - 1), fill=255)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def fallback_avatar(facts: CardFacts, theme: str) -> Image.Image:
    """The avatar when Discord's CDN gives none: the initial on the mode's colour."""
    palette = PALETTES[theme]
    image = Image.new("RGB", (AVATAR_SIZE, AVATAR_SIZE), palette.accent[facts.mode])
    draw = ImageDraw.Draw(image)
    initial = (facts.display_name.strip()[:1] or "?").upper()
    draw.text((AVATAR_SIZE / 2, AVATAR_SIZE / 2), initial, font=font(88, bold=True), fill=(255, 255, 255), anchor="mm")
    return image


def render_card(facts: CardFacts, *, theme: str = "dark", lang: str = "en", avatar: Image.Image | None = None) -> bytes:
    """The card as PNG bytes. ``avatar`` is any image (scaled to fit); None draws the fallback."""
    palette = PALETTES[theme]
    words = LABELS[lang]
    accent = palette.accent[facts.mode]
    card = Image.new("RGB", (WIDTH, HEIGHT), palette.background)
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((16, 16, WIDTH - 16, HEIGHT - 16), radius=22, fill=palette.panel)
    draw.rectangle((16, 40, 22, HEIGHT - 40), fill=accent)

    picture = avatar.convert("RGB") if avatar is not None else fallback_avatar(facts, theme)
    if picture.size != (AVATAR_SIZE, AVATAR_SIZE):
        picture = picture.resize((AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.BILINEAR)
    left, top = 44, (HEIGHT - AVATAR_SIZE) // 2
    draw.ellipse((left - 5, top - 5, left + AVATAR_SIZE + 4, top + AVATAR_SIZE + 4), fill=accent)
    card.paste(picture, (left, top), _circle_mask(AVATAR_SIZE))

    x, right = 256, WIDTH - 44
    # Rank and level, right-aligned at the top.
    rank_text = f"#{facts.season_rank}" if facts.season_rank else "–"
    level_text = str(facts.level)
    big, small = font(44, bold=True), font(18, bold=True)
    level_width = draw.textlength(level_text, font=big)
    draw.text((right, 38), level_text, font=big, fill=accent, anchor="ra")
    level_label_x = right - level_width - 8
    draw.text((level_label_x, 60), words["level"], font=small, fill=palette.muted, anchor="ra")
    rank_right = level_label_x - draw.textlength(words["level"], font=small) - 22
    draw.text((rank_right, 38), rank_text, font=big, fill=palette.text, anchor="ra")
    rank_label_x = rank_right - draw.textlength(rank_text, font=big) - 8
    draw.text((rank_label_x, 60), words["rank"], font=small, fill=palette.muted, anchor="ra")

    # Name, cut to the room the rank leaves.
    name_room = int(rank_label_x - draw.textlength(words["rank"], font=small) - 24 - x)
    name, size = fit(draw, facts.display_name, 40, max(name_room, 120), bold=True)
    draw.text((x, 40), name, font=font(size, bold=True), fill=palette.text)

    # Layer and league of the mode.
    league = LEAGUE_NAMES[lang].get(facts.league, facts.league.capitalize())
    mode_name = words[facts.mode]
    line = f"{mode_name} · {words['layer']} {facts.layer_code} {facts.layer_name} · " + (
        f"{league} {words['league']}" if lang == "en" else f"{words['league']} {league}"
    )
    draw.text((x, 98), fit(draw, line, 22, right - x)[0], font=font(22), fill=palette.muted)

    # Totals and this season.
    season = f"{words['season']} {facts.season_id}: {number(facts.season_xp, lang)} XP"
    if not facts.season_rank:
        season += f" ({words['unranked']})"
    stats = f"{words['total']} {number(facts.total_xp, lang)}  ·  {season}"
    draw.text((x, 132), fit(draw, stats, 22, right - x)[0], font=font(22), fill=palette.text)

    # Streak and badges: drawn once the facts carry them.
    extras = []
    if facts.streak:
        extras.append(f"{words['streak']} {facts.streak} {words['days']}")
    if facts.badges:
        extras.append("  ".join(badge.name for badge in facts.badges[:4]))
    if extras:
        draw.text((x, 164), fit(draw, "  ·  ".join(extras), 18, right - x)[0], font=font(18), fill=palette.muted)

    # Progress to the next level.
    bar_top, bar_bottom = 206, 236
    draw.rounded_rectangle((x, bar_top, right, bar_bottom), radius=15, fill=palette.track)
    filled = x + int((right - x) * min(max(facts.progress, 0.0), 1.0))
    if filled > x + 30:
        draw.rounded_rectangle((x, bar_top, filled, bar_bottom), radius=15, fill=accent)
    if facts.xp_for_next_level is None:
        progress = words["max"]
    else:
        goal = facts.xp_into_level + facts.xp_for_next_level
        progress = f"{number(facts.xp_into_level, lang)} / {number(goal, lang)} XP"
    draw.text((right, bar_top - 8), progress, font=font(18), fill=palette.muted, anchor="rd")

    out = io.BytesIO()
    # Level 1 compression: a quarter of the time of the default, for a card ~20 % larger.
    card.save(out, format="PNG", compress_level=1)
    return out.getvalue()

"""Seasons: their lifecycle, the Redis rank index that mirrors their scores, and closing them."""

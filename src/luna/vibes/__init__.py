"""Vibes: a venue's mood (chill, loud, romantic, ...) learned from what people do there."""

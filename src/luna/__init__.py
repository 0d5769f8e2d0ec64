"""Luna: venue and people recommendations, group plans, and a booking agent."""

__version__ = "0.1.0"

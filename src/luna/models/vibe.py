import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from luna.models.base import Base, CreatedAtMixin


class VibeProfileVersion(CreatedAtMixin, Base):
    """One run of `luna vibes refresh`: its profiles are the `venue_vibes` rows of this
    version. Serving reads the newest version whose format and vocabulary it knows
    (luna.vibes.repository); older versions are kept a little while, then pruned."""

    __tablename__ = "vibe_profile_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The learner's output format (luna.vibes.vocabulary.FORMAT_VERSION) and the vibes, in the
    # order of each row's scores.
    format_version: Mapped[int] = mapped_column(Integer)
    vocabulary: Mapped[list[str]] = mapped_column(JSON)
    # What it was learned from (events, venues, settings), for the record.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


class VenueVibes(Base):
    """One venue's vibe profile in one version: scores in [0, 1] in the version's
    vocabulary order, and its busiest time (luna.vibes.learner.peak_label code, or null)."""

    __tablename__ = "venue_vibes"

    version: Mapped[int] = mapped_column(
        ForeignKey("vibe_profile_versions.version", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    scores: Mapped[list[float]] = mapped_column(JSON)
    peak: Mapped[int | None] = mapped_column(SmallInteger)
    visits: Mapped[int] = mapped_column(Integer)
    # Why the venue has this profile: "category+behaviour", "category" or "behaviour".
    source: Mapped[str] = mapped_column(String(24))

"""Every ORM class, imported here so Alembic and the tests see the whole schema."""

from luna.models.base import Base
from luna.models.booking import Booking
from luna.models.booking_job import BookingJob
from luna.models.enums import (
    POSITIVE_INTERACTION_TYPES,
    BookingStatus,
    InteractionType,
    ParticipantStatus,
    PlanEventKind,
    PlanStatus,
    RelationshipType,
)
from luna.models.experiment import Experiment, ExperimentExposure
from luna.models.interaction import CategoryEngagement, Interaction, PopularityWindow
from luna.models.plan import Plan, PlanEvent, PlanIdempotencyKey, PlanParticipant
from luna.models.social import SocialEdge
from luna.models.user import User
from luna.models.venue import Venue
from luna.models.vibe import VenueVibes, VibeProfileVersion

__all__ = [
    "POSITIVE_INTERACTION_TYPES",
    "Base",
    "Booking",
    "BookingJob",
    "BookingStatus",
    "CategoryEngagement",
    "Experiment",
    "ExperimentExposure",
    "Interaction",
    "InteractionType",
    "ParticipantStatus",
    "Plan",
    "PlanEvent",
    "PlanEventKind",
    "PlanIdempotencyKey",
    "PlanParticipant",
    "PlanStatus",
    "PopularityWindow",
    "RelationshipType",
    "SocialEdge",
    "User",
    "Venue",
    "VenueVibes",
    "VibeProfileVersion",
]

"""Closed vocabularies of the contract, stored as strings."""

from enum import StrEnum


class InteractionType(StrEnum):
    view = "view"
    interest = "interest"
    like = "like"


POSITIVE_INTERACTION_TYPES = (InteractionType.like, InteractionType.interest)


class RelationshipType(StrEnum):
    friend = "friend"
    mutual = "mutual"
    suggested = "suggested"


class PlanStatus(StrEnum):
    pending = "pending"
    booking = "booking"  # the agent is talking to the provider
    confirmed = "confirmed"
    booking_failed = "booking_failed"
    cancelled = "cancelled"


class ParticipantStatus(StrEnum):
    invited = "invited"
    accepted = "accepted"
    declined = "declined"


class BookingStatus(StrEnum):
    booked = "booked"
    failed = "failed"
    cancelled = "cancelled"


class PlanEventKind(StrEnum):
    transition = "transition"  # the plan's status changed
    provider_call = "provider_call"  # the agent called a booking provider

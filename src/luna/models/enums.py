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

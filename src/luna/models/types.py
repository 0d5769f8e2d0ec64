"""Column helpers shared by the models."""

from enum import StrEnum

from sqlalchemy import Enum


def str_enum(enum_cls: type[StrEnum]) -> Enum:
    """Store a StrEnum as its values in a VARCHAR (no native ENUM: cheap to extend)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )

import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from luna.schemas import Description, LunaModel, UtcDatetime

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
Key = Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG)]
ArmName = Annotated[str, Field(min_length=1, max_length=32, pattern=SLUG)]
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Constant = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Surface(StrEnum):
    venues = "venues"
    people = "people"


class Mode(StrEnum):
    ab = "ab"
    interleave = "interleave"


class Status(StrEnum):
    running = "running"
    stopped = "stopped"


class StrictModel(BaseModel):
    """An unknown key is a 422 (a misspelt override would otherwise silently change nothing)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Weights(StrictModel):
    @model_validator(mode="after")
    def _not_all_zero(self) -> "_Weights":
        given = [value for value in self.model_dump(exclude_unset=True).values()]
        if given and len(given) == len(type(self).model_fields) and not any(given):
            raise ValueError("weights cannot all be zero")
        return self


class VenueWeights(_Weights):
    spatial: Weight | None = None
    preference: Weight | None = None
    popularity: Weight | None = None


class PeopleWeights(_Weights):
    social: Weight | None = None
    direct: Weight | None = None
    category: Weight | None = None


class VenueArmConfig(StrictModel):
    """Overrides of the venue settings (RecoSettings); what is left out keeps the server's."""

    model: Literal["heuristic", "learned"] | None = None
    weights: VenueWeights | None = None
    spatial_decay_per_km: Constant | None = None
    preference_per_positive: Constant | None = None
    preference_dwell_seconds: Positive | None = None


class PeopleArmConfig(StrictModel):
    weights: PeopleWeights | None = None


class ArmCreate(StrictModel):
    name: ArmName
    weight: Positive = 1.0
    # Checked against the surface's config (VenueArmConfig / PeopleArmConfig) by the service.
    config: dict[str, Any] = Field(default_factory=dict)


class ExperimentCreate(StrictModel):
    key: Key
    description: Description | None = None
    surface: Surface
    mode: Mode = Field(
        Mode.ab,
        description='"ab": each person sees their arm\'s list. "interleave" (venues, two '
        "arms): everyone sees one list mixing both arms' rankings (team draft)",
    )
    attribution_hours: int = Field(24, ge=1, le=168)
    arms: list[ArmCreate] = Field(min_length=2, max_length=5, description="The first: control")

    @model_validator(mode="after")
    def _unique_arm_names(self) -> "ExperimentCreate":
        names = [arm.name for arm in self.arms]
        if len(set(names)) != len(names):
            raise ValueError("arm names must be unique")
        return self


class ArmRead(LunaModel):
    name: str
    weight: float
    config: dict[str, Any]


class ExperimentRead(LunaModel):
    key: str
    description: str | None
    surface: Surface
    mode: Mode
    status: Status
    attribution_hours: int
    arms: list[ArmRead]
    created_at: UtcDatetime
    stopped_at: UtcDatetime | None


class AssignmentRead(LunaModel):
    key: str
    user_id: str
    arm: str


Interval = tuple[float, float] | None


class ArmResult(LunaModel):
    name: str
    users: int
    exposures: int
    converted_users: int
    conversion_rate: float | None
    ci95: Interval


class Comparison(LunaModel):
    arm: str
    control: str
    abs_diff: float | None
    ci95: Interval
    relative_lift: float | None
    p_value: float | None


class InterleavingResult(LunaModel):
    """Team-draft interleaving: each exposure whose person liked (or showed interest in) more
    of one arm's contributed items than the other's is a win for that arm."""

    wins: dict[str, int]
    ties: int
    preference_share: float | None = Field(
        description="The second arm's wins over all decided exposures (0.5: no preference)"
    )
    p_value: float | None = Field(description="Two-sided sign test of the wins")


class ExperimentResults(LunaModel):
    key: str
    status: Status
    arms: list[ArmResult]
    comparisons: list[Comparison]
    srm_p_value: float | None
    interleaving: InterleavingResult | None = None


def finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None

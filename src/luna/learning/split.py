"""Time split: train on the earlier weeks, test on the last weeks.

    |---------------- train ----------------|-- validation --|----- test -----|
    start                              val_start        test_start           end

Validation is carved from the end of train, for tuning (ALS hyper-parameters, the ranker's
number of trees). Nothing of a later window is ever visible to an earlier one: features and
models for a window are built only from events strictly before its start.

The learned ranker also needs examples to learn from. Each example window ("snapshot") is a
cutoff with the events before it as history and the next `window` seconds as labels:
training snapshots end at or before `val_start`, the validation snapshot is the validation
window itself, and the test snapshot is the test window.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from luna.learning.data import WEEK, CheckinLog


@dataclass(frozen=True)
class Snapshot:
    """History is every event before `cutoff`; labels are the events in [cutoff, end)."""

    cutoff: int
    end: int


@dataclass(frozen=True)
class TimeSplit:
    start: int
    val_start: int
    test_start: int
    end: int  # exclusive

    @property
    def validation(self) -> Snapshot:
        return Snapshot(self.val_start, self.test_start)

    @property
    def test(self) -> Snapshot:
        return Snapshot(self.test_start, self.end)

    def describe(self) -> dict[str, str]:
        """The windows as dates (UTC), for reports and the model file."""

        def day(seconds: int) -> str:
            return datetime.fromtimestamp(seconds, UTC).date().isoformat()

        return {
            "train": f"{day(self.start)} .. {day(self.val_start)}",
            "validation": f"{day(self.val_start)} .. {day(self.test_start)}",
            "test": f"{day(self.test_start)} .. {day(self.end)}",
        }

    def training_snapshots(self, count: int) -> list[Snapshot]:
        """`count` windows as long as validation, back to back, ending at `val_start`
        (latest first); a window whose history would be empty is not made."""
        window = self.test_start - self.val_start
        snapshots = []
        for k in range(1, count + 1):
            cutoff = self.val_start - k * window
            if cutoff <= self.start:
                break
            snapshots.append(Snapshot(cutoff, cutoff + window))
        return snapshots


def time_split(log: CheckinLog, test_weeks: int = 4, val_weeks: int = 4) -> TimeSplit:
    """Test is the last `test_weeks` of the log, validation the `val_weeks` before it."""
    end = int(log.utc.max()) + 1
    test_start = end - test_weeks * WEEK
    val_start = test_start - val_weeks * WEEK
    if val_start <= int(log.utc.min()):
        raise ValueError("the log is too short for this split")
    return TimeSplit(int(log.utc.min()), val_start, test_start, end)

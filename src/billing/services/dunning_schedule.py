"""The reminder schedule for overdue invoices, as data (rule BIL-7; 004 §1.7).

An unpaid invoice is in default the day after its due date, without notice. Reminders are a
courtesy on top of that, taken in order, each once: a step is due when the given number of days
since the due date has passed. A job that has missed days takes every step that has become due,
in order, so no step is ever skipped or repeated. The states match the invoice's
``dunning_state`` values.

**Collection costs.** When a claim goes to collection, 15 % of the amount open is added, with a
minimum of EUR 750, rounded half up to a cent once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

COLLECTION_RATE = Decimal("0.15")
COLLECTION_MINIMUM_CENTS = 75_000


@dataclass(frozen=True)
class Step:
    state: str
    days_after_due: int


DEFAULT_SCHEDULE: tuple[Step, ...] = (
    Step("reminder_1", 1),
    Step("reminder_2", 14),
    Step("final_notice", 28),
    Step("collection", 42),
)


def steps_due(
    due_on: dt.date,
    today: dt.date,
    current_state: str | None,
    schedule: Sequence[Step] = DEFAULT_SCHEDULE,
) -> list[Step]:
    """The steps to take now, in order: those past ``current_state`` whose day has come."""
    states = [step.state for step in schedule]
    done = states.index(current_state) + 1 if current_state in states else 0
    late_by = (today - due_on).days
    return [step for step in schedule[done:] if late_by >= step.days_after_due]


def collection_costs_cents(open_cents: int) -> int:
    """15 % of the amount open, at least EUR 750; nothing if nothing is open."""
    if open_cents <= 0:
        return 0
    share = (Decimal(open_cents) * COLLECTION_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(int(share), COLLECTION_MINIMUM_CENTS)

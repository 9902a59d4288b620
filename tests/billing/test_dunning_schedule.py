"""Reminder schedule: each step once and in order; collection costs (rule BIL-7)."""

from __future__ import annotations

import datetime as dt

from src.billing.services.dunning_schedule import Step, collection_costs_cents, steps_due

D = dt.date
DUE = D(2027, 3, 15)


def states(steps):
    return [step.state for step in steps]


def test_nothing_on_the_due_date_and_a_friendly_reminder_the_day_after():
    assert steps_due(DUE, DUE, None) == []
    assert states(steps_due(DUE, D(2027, 3, 16), None)) == ["reminder_1"]


def test_a_step_already_taken_is_not_taken_again():
    assert steps_due(DUE, D(2027, 3, 20), "reminder_1") == []
    assert states(steps_due(DUE, D(2027, 3, 29), "reminder_1")) == ["reminder_2"]


def test_missed_days_take_every_due_step_in_order():
    # 42 days after the due date with no reminder sent yet: all four, in order.
    assert states(steps_due(DUE, D(2027, 4, 26), None)) == [
        "reminder_1",
        "reminder_2",
        "final_notice",
        "collection",
    ]
    assert steps_due(DUE, D(2027, 6, 1), "collection") == []


def test_the_schedule_is_data():
    schedule = (Step("reminder_1", 7), Step("collection", 30))
    assert steps_due(DUE, D(2027, 3, 21), None, schedule) == []
    assert states(steps_due(DUE, D(2027, 4, 14), None, schedule)) == ["reminder_1", "collection"]


def test_collection_costs_are_fifteen_percent_with_a_minimum_of_750_euro():
    # EUR 1,000.00 open: 15 % is EUR 150, below the minimum, so EUR 750.
    assert collection_costs_cents(100_000) == 75_000
    # EUR 10,000.01 open: 15 % is 150000.15 cents, rounded half up to EUR 1,500.00.
    assert collection_costs_cents(1_000_001) == 150_000
    # EUR 10,000.10 open: 150001.5 cents, rounded half up to 150002.
    assert collection_costs_cents(1_000_010) == 150_002
    assert collection_costs_cents(0) == 0

"""Shared tables: the append-only audit log, the outbox, and the local mail catcher."""

from piccolo.columns import JSON, Boolean, Bytea, ForeignKey, Integer, Serial, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.column_types import Text
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="audit_entry"):
    """One change: who, acting for which organisation, what, before/after, when, from where.

    Rows are only ever inserted (see src.core.audit)."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_person_id = Integer(null=True, default=None, index=True)
    actor_label = Varchar(length=255, default="")
    organisation_id = Integer(null=True, default=None, index=True)
    action = Varchar(length=100, index=True)
    object_type = Varchar(length=60, default="")
    object_id = Varchar(length=60, default="")
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    client_address = Varchar(length=64, default="")


class OutboxMessage(Table, tablename="outbox_message"):
    """A side effect written in the same transaction as the change that causes it.

    The relay hands undelivered rows to dramatiq after commit; `dedupe_key` is unique
    so the same effect is never queued twice. `dispatched_at` is the relay's claim (moved
    on when an attempt of the actor fails), `done_at` is set when the actor has finished,
    and the sweeper (src.core.outbox.sweep_stuck) hands a row claimed too long ago to the
    relay again, or, after too many attempts, sets `failed_at` for vendor admins to see."""

    id = Serial(primary_key=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_name = Varchar(length=100)
    payload = JSON(default="{}")
    dedupe_key = Varchar(length=200, unique=True)
    dispatched_at = Timestamptz(null=True, default=None, index=True)
    attempts = Integer(default=0)
    done_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(default="")


class CaughtMail(Table, tablename="caught_mail"):
    """Mail the embedded default keeps instead of sending; vendor admins read it in the portal."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    sender = Varchar(length=255)
    recipients = Text()
    subject = Varchar(length=500)
    body = Text()
    read = Boolean(default=False)


class CaughtAttachment(Table, tablename="caught_attachment"):
    """A file that went with a caught mail (a letter as PDF), kept whole so vendor admins can
    download it as the recipient would have received it."""

    id = Serial(primary_key=True)
    mail = ForeignKey(CaughtMail, null=False, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=255)
    content_type = Varchar(length=255)
    content = Bytea()


class SentMail(Table, tablename="sent_mail"):
    """A mail under its dedupe key: claimed by the run that began sending it at `at`, and
    confirmed sent at `sent_at` (empty until the SMTP server or the catcher took it). Only a
    confirmed mail is never sent again (src.core.mail.deliver)."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow())
    dedupe_key = Varchar(length=200, unique=True)
    recipients = Text()
    subject = Varchar(length=500)
    sent_at = Timestamptz(null=True, default=None)


class ScheduledJob(Table, tablename="scheduled_job"):
    """When a calendar job of the schedule last started: every fire time before `last_started_at`
    was handled, so a leader that takes over runs the job at once if it fell due meanwhile
    (src.core.scheduling, src.workers.scheduler)."""

    id = Serial(primary_key=True)
    name = Varchar(length=100, unique=True)
    last_started_at = Timestamptz()

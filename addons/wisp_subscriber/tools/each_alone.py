"""Batch steps where no single bad record stops the others.

A cron or a run that loops over records runs each record's step in a savepoint: a failure
rolls back that record's step only, is logged, and is shown to staff as one warning
activity on the record (updated on each retry, marked done when a later try succeeds);
the other records go on.
"""

import logging

from odoo import fields

_logger = logging.getLogger(__name__)


def failure_activity(record, summary):
    """The open warning activity of ``record`` for the failing step ``summary``."""
    return record.activity_ids.filtered(lambda activity: activity.summary == summary)


def report_failure(record, summary, reason):
    """One warning activity per record and step, its note updated on each retry."""
    note = record.env._(
        "%(summary)s on %(today)s: %(reason)s. It is tried again on the next run.",
        summary=summary,
        today=fields.Date.context_today(record),
        reason=reason,
    )
    existing = failure_activity(record, summary)
    if existing:
        existing.note = note
    else:
        record.activity_schedule("mail.mail_activity_data_warning", summary=summary, note=note)


def close_failures(records, summary):
    """Mark done the warning activities of ``records`` for ``summary``: it went through."""
    activities = records.env["mail.activity"].search(
        [
            ("res_model", "=", records._name),
            ("res_id", "in", records.ids),
            ("summary", "=", summary),
        ]
    )
    activities.action_feedback(feedback=records.env._("Succeeded on a later try."))


def batch_then_each_alone(records, step, summary):
    """``step(records)`` in one go (one life-cycle event, one router sync per batch);
    should that fail, each record alone as :func:`each_alone` does, so that only the bad
    ones fail. Returns the records that failed."""
    if not records:
        return records
    try:
        with records.env.cr.savepoint():
            step(records)
    except Exception:
        _logger.info("%s for a batch of %s: retried one by one", summary, len(records))
        return each_alone(records, step, summary)
    close_failures(records, summary)
    return records.browse()


def each_alone(records, step, summary):
    """Run ``step(record)`` for each record on its own; return the records that failed.

    :param summary: what failed, as staff read it on the record ("Dunning failed")
    """
    failed = records.browse()
    for record in records:
        try:
            with record.env.cr.savepoint():
                step(record)
        except Exception as error:
            _logger.exception("%s: %s", summary, record.display_name)
            report_failure(record, summary, error)
            failed |= record
    # one search for the earlier failures that went through, not one per record
    close_failures(records - failed, summary)
    return failed

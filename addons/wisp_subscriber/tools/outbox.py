"""What the suite's outboxes (subscriber messages, webhook deliveries) share."""


def trigger_after_commit(env, cron_xmlid):
    """Trigger the cron ``cron_xmlid`` once when this transaction commits, however many
    rows it queued: the rows are sent by the cron, after the business transaction."""
    precommit = env.cr.precommit
    key = f"wisp_trigger:{cron_xmlid}"
    if not precommit.data.get(key):
        precommit.data[key] = True
        precommit.add(env.ref(cron_xmlid)._trigger)

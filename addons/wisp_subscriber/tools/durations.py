"""Prepaid durations as people say them: ``30 minutes``, ``1 hour``, ``2 days``."""


def duration_label(env, seconds):
    """``seconds`` in the largest unit that states it exactly (minutes at least)."""
    if seconds and seconds % 86400 == 0:
        days = seconds // 86400
        return env._("1 day") if days == 1 else env._("%s days", days)
    if seconds and seconds % 3600 == 0:
        hours = seconds // 3600
        return env._("1 hour") if hours == 1 else env._("%s hours", hours)
    minutes = -(-seconds // 60)  # a started minute counts
    return env._("1 minute") if minutes == 1 else env._("%s minutes", minutes)

"""Passes of minutes and hours end on time: the expiry cron (``noupdate``) runs
every 5 minutes instead of every hour, unless someone already set it to run faster."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_cron c
           SET interval_number = 5, interval_type = 'minutes'
          FROM ir_model_data d
         WHERE d.module = 'wisp_subscriber'
           AND d.name = 'ir_cron_wisp_service_expire_resume'
           AND d.model = 'ir.cron'
           AND d.res_id = c.id
           AND c.interval_type <> 'minutes'
        """
    )

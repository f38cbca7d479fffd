"""The purchase e-mail named the plan's day count (``prepaid_duration_days``), which
is now a duration in minutes, hours or days. The template is ``noupdate`` (a WISP
may have reworded it): only that expression is replaced, in every language, so the
mail still renders and says "2 hours" or "1 day".
"""

OLD = "object.plan_id.prepaid_duration_days or ''\"/> day(s)"
NEW = "object.plan_id.wisp_period_label or ''\"/>"


def migrate(cr, version):
    cr.execute(
        """
        UPDATE mail_template t
           SET body_html = (
                SELECT jsonb_object_agg(lang, replace(body, %(old)s, %(new)s))
                  FROM jsonb_each_text(t.body_html) AS b(lang, body))
          FROM ir_model_data d
         WHERE d.module = 'wisp_billing'
           AND d.name = 'mail_template_wisp_voucher_purchase'
           AND d.model = 'mail.template'
           AND d.res_id = t.id
           AND t.body_html::text LIKE '%%prepaid_duration_days%%'
        """,
        {"old": OLD, "new": NEW},
    )

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

RESULTS = [
    ("success", "Redeemed"),
    ("typo", "Mistyped"),
    ("unknown", "Unknown Code"),
    ("refused", "Used / Expired / Void"),
    ("throttled", "Throttled"),
]
FAILURES = ("typo", "unknown", "refused")


class VoucherThrottled(UserError):
    """Too many wrong codes from one client: the portal and hotspot pages answer 429."""


class WispVoucherAttempt(models.Model):
    """Log of redemption attempts per client key (the caller's IP address).

    Rows are written on their own short transaction: a failed redemption
    raises and rolls the caller's transaction back, and the failure must still
    count towards throttling. Only the code's last four characters are kept.
    """

    _name = "wisp.voucher.attempt"
    _description = "Voucher Redemption Attempt"
    _order = "id desc"
    _log_access = False
    _rec_name = "client_key"

    date = fields.Datetime(readonly=True, index=True, default=fields.Datetime.now)
    client_key = fields.Char(readonly=True, index=True)
    code_hint = fields.Char(readonly=True, help="Last characters of the code typed.")
    result = fields.Selection(RESULTS, readonly=True)

    @api.model
    def _limits(self):
        company = self.env.company
        return company.wisp_voucher_max_failures, company.wisp_voucher_failure_minutes

    @api.model
    def _is_throttled(self, client_key):
        max_failures, minutes = self._limits()
        if not max_failures:
            return False
        with self.env.registry.cursor() as cr:
            cr.execute(
                """
                SELECT count(*) FROM wisp_voucher_attempt
                 WHERE client_key = %s AND result IN %s
                   AND date > (now() at time zone 'UTC') - %s * interval '1 minute'
                """,
                [client_key, FAILURES, minutes],
            )
            return cr.fetchone()[0] >= max_failures

    @api.model
    def _check_throttle(self, client_key, code):
        """Refuse ``client_key`` while it has too many recent failures (any code typed
        on the hotspot, the portal or the wallet: voucher or gift card)."""
        if not client_key:
            return
        # One client's redemptions take turns until the transaction ends: the attempts
        # are counted on cursors of their own, so two at once would both pass the check.
        self.env.cr.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"wisp.voucher.redeem:{client_key}"],
        )
        if self._is_throttled(client_key):
            self._log(client_key, code, "throttled")
            raise VoucherThrottled(
                self.env._("Too many wrong codes from your device: wait a few minutes.")
            )

    @api.model
    def _log(self, client_key, code, result):
        if result != "success":
            _logger.info(
                "voucher redemption %s from %s (code ending %s)",
                result,
                client_key or "-",
                (code or "")[-4:],
            )
        if not client_key:
            return
        if result == "success":
            self.sudo().create({"client_key": client_key, "code_hint": code[-4:], "result": result})
            return
        with self.env.registry.cursor() as cr:
            cr.execute(
                """
                INSERT INTO wisp_voucher_attempt (client_key, code_hint, result, date)
                VALUES (%s, %s, %s, now() at time zone 'UTC')
                """,
                [client_key, (code or "")[-4:], result],
            )

import secrets

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import webhook as transport
from ..tools.access import MANAGER, check_groups

MAX_TIMEOUT = 30


def new_secret():
    return secrets.token_urlsafe(32)


class WispWebhook(models.Model):
    """A third party's subscription to events, delivered by ``wisp.webhook.delivery``.

    The secret signs every delivery (``X-Wisp-Signature``); the receiver keeps a copy
    to check it. Only the manager sees and edits subscriptions and their secret.
    """

    _name = "wisp.webhook"
    _description = "Webhook Subscription"
    _order = "name, id"

    name = fields.Char(required=True, help="Who receives these events.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    url = fields.Char(
        string="URL",
        required=True,
        help="HTTPS address the events are POSTed to (plain HTTP only to this machine).",
    )
    secret = fields.Char(
        required=True,
        copy=False,
        default=lambda self: new_secret(),
        groups=MANAGER,
        help="Shared with the receiver, which checks each delivery's signature with it.",
    )
    event_ids = fields.Many2many("wisp.webhook.event", string="Events", required=True)
    timeout = fields.Integer(
        string="Timeout (s)",
        default=transport.DEFAULT_TIMEOUT,
        help="How long a delivery waits for the receiver's answer.",
    )
    delivery_ids = fields.One2many("wisp.webhook.delivery", "webhook_id", string="Deliveries")
    failed_count = fields.Integer(compute="_compute_delivery_counts", string="Given Up")
    queued_count = fields.Integer(compute="_compute_delivery_counts", string="Waiting")

    @api.constrains("url")
    def _check_url(self):
        for webhook in self:
            if not transport.is_allowed_url(webhook.url):
                raise ValidationError(
                    self.env._(
                        "Webhooks go to an https:// address (plain http:// only to this "
                        "machine itself)."
                    )
                )

    @api.constrains("timeout")
    def _check_timeout(self):
        if any(not 1 <= webhook.timeout <= MAX_TIMEOUT for webhook in self):
            raise ValidationError(
                self.env._("The timeout is between 1 and %(max)s seconds.", max=MAX_TIMEOUT)
            )

    def _compute_delivery_counts(self):
        counts = {
            (webhook.id, state): count
            for webhook, state, count in self.env["wisp.webhook.delivery"]._read_group(
                [("webhook_id", "in", self.ids), ("state", "in", ("queued", "failed"))],
                ["webhook_id", "state"],
                ["__count"],
            )
        }
        for webhook in self:
            webhook.failed_count = counts.get((webhook.id, "failed"), 0)
            webhook.queued_count = counts.get((webhook.id, "queued"), 0)

    def action_new_secret(self):
        """Replace the secret (it leaked, or the receiver changes hands)."""
        check_groups(self.env, (MANAGER,))
        self.check_access("write")
        for webhook in self:
            webhook.secret = new_secret()
        return True

    def action_view_deliveries(self):
        check_groups(self.env, (MANAGER,))
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Deliveries"),
            "res_model": "wisp.webhook.delivery",
            "view_mode": "list,form",
            "domain": [("webhook_id", "=", self.id)],
        }

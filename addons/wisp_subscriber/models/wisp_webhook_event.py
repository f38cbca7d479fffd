from odoo import fields, models


class WispWebhookEvent(models.Model):
    """An event a third party may subscribe to (service status changed, invoice paid...).

    Each addon declares its events as data and queues them from its own code with
    ``wisp.webhook.delivery._queue``; ``docs/api.md`` lists them with their payloads.
    """

    _name = "wisp.webhook.event"
    _description = "Webhook Event"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True, index=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True, help="When the event is sent.")

    _code_uniq = models.Constraint("UNIQUE(code)", "A webhook event code must be unique.")

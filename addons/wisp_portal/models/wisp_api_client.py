import hashlib
import secrets

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import MANAGER, check_groups
from odoo.exceptions import UserError, ValidationError
from odoo.tools import email_normalize

from ..controllers.connection_request import (
    PROSPECT_FIELDS,
    prospect_form_errors,
    prospect_request_vals,
)

KEY_PREFIX = "wisp_"
# how much of a key stays visible to tell keys apart (the prefix and 4 random characters)
KEY_HINT_LENGTH = len(KEY_PREFIX) + 4
SCOPES = ("connection_request", "subscriber_read", "payment_write", "plans_read")


def hash_key(key):
    """The stored form of an API key. A key is 256 random bits: a plain SHA-256 cannot
    be reversed or guessed, and it lets the key be found by an index lookup."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiInputError(UserError):
    """Input the API refuses, field by field (``{field: message}``): a 422 answer."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class WispApiClient(models.Model):
    """An integration (a partner's website, a collection agent, a CRM) calling the REST
    API (``docs/api.md``) with its own key and scopes.

    Only a SHA-256 of the key is stored; the key itself is shown once, when the manager
    makes it. Each operation of the API is a method here, run as superuser restricted to
    the client's company once the router checked the key and the scope: the API's
    technical user has no rights of its own.
    """

    _name = "wisp.api.client"
    _description = "API Client"
    _order = "name, id"

    name = fields.Char(required=True, help="The integration: who calls the API with this key.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    key_hash = fields.Char(readonly=True, copy=False, index=True)
    key_hint = fields.Char(
        string="Key", readonly=True, copy=False, help="The start of the key, to tell keys apart."
    )
    scope_connection_request = fields.Boolean(
        string="Submit connection requests", help="POST /connection-requests"
    )
    scope_subscriber_read = fields.Boolean(
        string="Read subscriber status and balance", help="GET /subscribers/{code}"
    )
    scope_payment_write = fields.Boolean(
        string="Register payments", help="POST /payments: money collected by this integration"
    )
    scope_plans_read = fields.Boolean(string="List plans", help="GET /plans")
    journal_id = fields.Many2one(
        "account.journal",
        string="Payment Journal",
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        help="Where the payments this integration registers are booked.",
    )
    reseller_id = fields.Many2one(
        "res.partner",
        string="Channel Partner",
        domain="[('wisp_is_reseller', '=', True)]",
        help="The connection requests this integration submits are signed up by this reseller.",
    )
    last_used = fields.Datetime(readonly=True, copy=False)

    _key_hash_uniq = models.Constraint("UNIQUE(key_hash)", "An API key is unique.")

    @api.constrains("journal_id", "company_id")
    def _check_journal_company(self):
        for client in self.filtered("journal_id"):
            if client.journal_id.company_id != client.company_id:
                raise ValidationError(
                    self.env._("The payment journal must be one of the client's company.")
                )

    # ---------------------------------------------------------------- keys

    def action_new_key(self):
        """Make a new key for this client (the old one stops working) and show it once."""
        check_groups(self.env, (MANAGER,))
        self.check_access("write")
        self.ensure_one()
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        self.write({"key_hash": hash_key(key), "key_hint": key[:KEY_HINT_LENGTH]})
        shown = self.env["wisp.api.client.key"].create({"client_id": self.id, "key": key})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New API Key"),
            "res_model": "wisp.api.client.key",
            "res_id": shown.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_revoke_key(self):
        check_groups(self.env, (MANAGER,))
        self.check_access("write")
        self.write({"key_hash": False, "key_hint": False})
        return True

    @api.model
    def _authenticate(self, key):
        """The active client whose key is ``key``, or an empty recordset (as superuser)."""
        if not key or not key.startswith(KEY_PREFIX):
            return self.sudo().browse()
        client = self.sudo().search([("key_hash", "=", hash_key(key))], limit=1)
        if client:
            # at most one write a minute per client: calls in a burst do not contend
            self.env.cr.execute(
                """
                UPDATE wisp_api_client SET last_used = now() at time zone 'utc'
                 WHERE id = %s
                   AND (last_used IS NULL
                        OR last_used < now() at time zone 'utc' - interval '1 minute')
                """,
                [client.id],
            )
        return client

    def _has_scope(self, scope):
        self.ensure_one()
        return scope in SCOPES and self[f"scope_{scope}"]

    def _api_env_self(self):
        """This client as superuser in its company: each operation below reads and
        writes only what it names, for this company."""
        company = self.company_id
        return self.sudo().with_context(allowed_company_ids=company.ids).with_company(company)

    # ---------------------------------------------------------------- operations

    def _api_lock(self):
        """Serialise this client's writing calls: a retry racing its original waits here,
        then finds what the original made (idempotency on ``external_ref``).

        A row *change*, not a ``SELECT ... FOR UPDATE``: under REPEATABLE READ the call
        that waited would go on with its old snapshot, blind to what the original just
        committed. Changing the row makes it fail with a serialization error instead,
        and Odoo reruns the request on a fresh snapshot, which sees the original."""
        self.env.cr.execute(
            "UPDATE wisp_api_client SET last_used = now() at time zone 'utc' WHERE id = %s",
            [self.id],
        )
        self.invalidate_recordset(["last_used"])

    def _api_plans(self):
        """The plans a prospect may ask for, with their public fields only."""
        client = self._api_env_self()
        plans = client.env["wisp.connection.request"]._wisp_offered_plans()
        public = client.env.ref("base.public_partner")
        prices = client.env["wisp.service"]._portal_list_prices(public, plans)
        currency = client.company_id.currency_id
        return [
            {
                "id": plan.id,
                "name": plan.name,
                "service_type": plan.service_type,
                "price": currency.round(prices[plan.id]),
                "currency": currency.name,
                "billing_period": plan.billing_period,
                "download_kbps": plan.download_kbps,
                "upload_kbps": plan.upload_kbps,
                "data_cap_gb": plan.data_cap_gb or None,
            }
            for plan in plans
        ]

    def _api_subscriber(self, code):
        """The subscriber of this client's company whose code is ``code``, or empty."""
        client = self._api_env_self()
        Partner = client.env["res.partner"]
        if not code:
            return Partner
        return Partner.search(
            [
                ("subscriber_code", "=", code),
                ("company_id", "in", [False, client.company_id.id]),
            ],
            limit=1,
        )

    def _api_subscriber_status(self, subscriber):
        """What an integration may know of a subscriber: status and money, nothing else."""
        client = self._api_env_self()
        subscriber = subscriber.with_env(client.env)
        services = subscriber.service_ids.filtered(lambda s: s.company_id == client.company_id)
        return {
            "subscriber_code": subscriber.subscriber_code,
            "status": subscriber.subscriber_state or None,
            "currency": client.company_id.currency_id.name,
            "balance_due": subscriber.wisp_balance_due,
            "overdue": subscriber.wisp_overdue,
            "wallet_balance": subscriber.wisp_wallet_balance,
            "services": [
                {
                    "reference": service.name,
                    "service_type": service.service_type,
                    "plan": service.plan_id.name or None,
                    "state": service.state,
                }
                for service in services
            ],
        }

    def _api_connection_request(self, values):
        """Submit a prospect's request as the website form does (same checks).

        :param values: the form's fields as strings, ``country_code``, ``latitude``,
            ``longitude`` and ``external_ref``
        :return: ``(request, created)``: a request already submitted by this client
            (same ``external_ref``, or the same e-mail at the same address still open)
            is returned instead of a second one
        """
        client = self._api_env_self()
        Request = client.env["wisp.connection.request"]
        countries = client.env["res.country"].search([])
        form = {name: str(values.get(name) or "") for name in PROSPECT_FIELDS}
        form["country_id"] = ""
        errors = {}
        if values.get("country_code"):
            country = countries.filtered(lambda c: c.code == values["country_code"].upper())
            if country:
                form["country_id"] = str(country.id)
            else:
                errors["country_code"] = self.env._("Unknown country code.")
        plans = Request._wisp_offered_plans()
        errors.update(prospect_form_errors(client.env, form, plans, countries=countries))
        errors = {
            ("country_code" if name == "country_id" else name): message
            for name, message in errors.items()
        }
        if errors:
            raise ApiInputError(errors)
        client._api_lock()
        existing = client._api_submitted_request(values)
        if existing:
            return existing, False
        vals = prospect_request_vals(form, plans)
        vals.update(
            source="api",
            wisp_api_client_id=client.id,
            wisp_external_ref=values.get("external_ref") or False,
            reseller_id=client.reseller_id.id,
        )
        if values.get("latitude") is not None and values.get("longitude") is not None:
            vals.update(latitude=values["latitude"], longitude=values["longitude"])
        return Request.create(vals), True

    def _api_submitted_request(self, values):
        """This client's request for the same prospect, when it sent it already."""
        Request = self.env["wisp.connection.request"].with_context(active_test=False)
        if values.get("external_ref"):
            return Request._wisp_api_sent(self, values["external_ref"])
        mine = [("wisp_api_client_id", "=", self.id)]
        email = email_normalize(values.get("email") or "")
        candidates = Request.search(
            [
                *mine,
                ("state", "=", "new"),
                ("street", "=ilike", values["street"].strip()),
                ("city", "=ilike", values["city"].strip()),
            ]
        )
        return candidates.filtered(lambda r: email_normalize(r.email or "") == email)[:1]

    def _api_register_payment(self, subscriber, amount, currency, external_ref, memo=None):
        """Book a payment this integration collected, once per ``external_ref``.

        The money goes to the client's journal as a customer payment (the wallet top-up
        of the back office), then pays the subscriber's open invoices oldest first as
        the wallet does; what is left stays as wallet credit.

        :return: ``(payment, created)``; a replay of the same ``external_ref`` returns
            the payment booked the first time
        """
        client = self._api_env_self()
        client._api_lock()
        existing = client.env["account.payment"]._wisp_api_sent(client, external_ref)
        company_currency = client.company_id.currency_id
        if existing:
            if (
                existing.partner_id != subscriber.commercial_partner_id
                or company_currency.compare_amounts(existing.amount, amount)
            ):
                raise ApiInputError(
                    {"external_ref": self.env._("Already used for another payment.")}
                )
            return existing, False
        errors = {}
        if (currency or "").upper() != company_currency.name:
            errors["currency"] = self.env._(
                "Payments are in %(currency)s.", currency=company_currency.name
            )
        if company_currency.compare_amounts(amount, 0) <= 0:
            errors["amount"] = self.env._("The amount must be positive.")
        if errors:
            raise ApiInputError(errors)
        if not client.journal_id:
            raise UserError(
                self.env._("This integration has no payment journal: ask the WISP manager.")
            )
        payment = subscriber.with_env(client.env)._wisp_wallet_topup(
            company_currency.round(amount),
            client.journal_id,
            memo or self.env._("%(client)s payment %(ref)s", client=client.name, ref=external_ref),
            wisp_api_client_id=client.id,
            wisp_external_ref=external_ref,
        )
        invoices = client.env["account.move"].search(
            [
                ("commercial_partner_id", "=", subscriber.commercial_partner_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("company_id", "=", client.company_id.id),
            ],
            order="invoice_date_due, id",
        )
        invoices._wisp_apply_wallet()
        return payment, True

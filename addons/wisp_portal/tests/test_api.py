"""The REST API (``routers/wisp_api.py``) through FastAPI's test client, as an
integration calls it: keys, scopes, the four operations and their refusals."""

import psycopg2

from odoo import SUPERUSER_ID, Command, api, sql_db
from odoo.addons.fastapi.tests.common import FastAPITransactionCase
from odoo.addons.wisp_billing.tests.common import WispBillingCase
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from ..models.wisp_api_client import hash_key

ALL_SCOPES = {
    "scope_connection_request": True,
    "scope_subscriber_read": True,
    "scope_payment_write": True,
    "scope_plans_read": True,
}
PROSPECT = {
    "contact_name": "Ann Prospect",
    "email": "ann.prospect@example.com",
    "phone": "+1 555 010 0199",
    "street": "7 Api Street",
    "city": "Apiville",
    "country_code": "US",
}


class WispApiCase(WispBillingCase, FastAPITransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = cls.env.ref("wisp_portal.endpoint_wisp_api")
        cls.api_user = cls.env.ref("wisp_portal.user_wisp_api")
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.service = cls.new_service(cls)  # activated: its first invoice is posted
        cls.invoice = cls.invoices(cls)[-1:]
        cls.client, cls.key = cls.new_client("Collector", journal_id=cls.bank_journal.id)
        cls.manager = cls.env["res.users"].create(
            {
                "name": "API Manager",
                "login": "t_api_manager",
                "group_ids": [Command.set(cls.env.ref("wisp_subscriber.group_wisp_manager").ids)],
            }
        )

    @classmethod
    def new_client(cls, name, scopes=None, **vals):
        """A client and its key, made as the back office makes them."""
        client = cls.env["wisp.api.client"].create(
            {"name": name, **(ALL_SCOPES if scopes is None else scopes), **vals}
        )
        action = client.action_new_key()
        return client, cls.env["wisp.api.client.key"].browse(action["res_id"]).key

    def call(self, method, path, key=None, headers=None, **kwargs):
        headers = dict(headers or {})
        if key != "":
            headers["X-Api-Key"] = self.key if key is None else key
        with self._create_test_client(
            app=self.endpoint.sudo()._get_app(), user=self.api_user, raise_server_exceptions=False
        ) as client:
            return client.request(method, path, headers=headers, **kwargs)


@tagged("post_install", "-at_install")
class TestApiAuth(WispApiCase):
    def test_key_is_stored_hashed_and_shown_once(self):
        self.assertEqual(self.client.key_hash, hash_key(self.key))
        self.assertNotIn(self.key, (self.client.key_hash, self.client.key_hint))
        self.assertTrue(self.key.startswith(self.client.key_hint))
        self.assertEqual(self.call("GET", "/plans").status_code, 200)
        # a new key replaces the old one at once
        self.client.action_new_key()
        response = self.call("GET", "/plans")
        self.assertEqual(response.status_code, 401)

    def test_wrong_missing_revoked_and_archived_keys_are_401(self):
        archived, archived_key = self.new_client("Gone")
        archived.active = False
        revoked, revoked_key = self.new_client("Revoked")
        revoked.action_revoke_key()
        for key in ("", "wisp_not-a-key", "garbage", self.key[:-1], archived_key, revoked_key):
            for method, path in (("GET", "/plans"), ("POST", "/payments")):
                response = self.call(method, path, key=key, json={})
                self.assertEqual(response.status_code, 401, (key, path))
                # the same answer whatever was wrong, before the body is looked at
                self.assertEqual(response.json(), {"detail": "Missing or invalid API key."})
                self.assertEqual(response.headers["WWW-Authenticate"], "ApiKey")
        self.assertFalse(self.env["account.payment"].search([("wisp_api_client_id", "!=", False)]))

    def test_missing_scope_is_403(self):
        _client, key = self.new_client("Plans only", scopes={"scope_plans_read": True})
        self.assertEqual(self.call("GET", "/plans", key=key).status_code, 200)
        code = self.subscriber.subscriber_code
        for method, path, scope in (
            ("GET", f"/subscribers/{code}", "subscriber_read"),
            ("POST", "/payments", "payment_write"),
            ("POST", "/connection-requests", "connection_request"),
        ):
            response = self.call(method, path, key=key, json={})
            self.assertEqual(response.status_code, 403, path)
            self.assertEqual(
                response.json(), {"detail": f"This API key does not have the scope {scope}."}
            )

    def test_last_used_is_recorded(self):
        self.assertFalse(self.client.last_used)
        self.call("GET", "/plans")
        self.client.invalidate_recordset(["last_used"])
        self.assertTrue(self.client.last_used)

    def test_openapi_schema_is_served(self):
        response = self.call("GET", "/openapi.json", key="")
        self.assertEqual(response.status_code, 200)
        schema = response.json()
        self.assertEqual(
            set(schema["paths"]),
            {"/plans", "/connection-requests", "/subscribers/{subscriber_code}", "/payments"},
        )
        self.assertEqual(
            schema["components"]["securitySchemes"]["APIKeyHeader"],
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key",
                "description": schema["components"]["securitySchemes"]["APIKeyHeader"][
                    "description"
                ],
            },
        )
        self.assertEqual(self.call("GET", "/docs", key="").status_code, 200)

    def test_clients_are_the_managers_only(self):
        roles = [self.billing_user] + [
            new_test_user(self.env, login=f"t_api_{role}", groups=group)
            for role, group in (
                ("support", "wisp_subscriber.group_wisp_support"),
                ("network", "wisp_subscriber.group_wisp_network"),
                ("installer", "wisp_subscriber.group_wisp_installer"),
                ("portal", "base.group_portal"),
            )
        ]
        for user in roles:
            with self.assertRaises(AccessError):
                self.client.with_user(user).read(["name"])
            with self.assertRaises(AccessError):
                self.client.with_user(user).action_new_key()
            with self.assertRaises(AccessError):
                self.env["wisp.api.client"].with_user(user).create({"name": "Mine", **ALL_SCOPES})
        # the API's own user has no rights: only the checked operations act for it
        with self.assertRaises(AccessError):
            self.client.with_user(self.api_user).read(["name"])
        with self.assertRaises(AccessError):
            self.env["account.payment"].with_user(self.api_user).search([])
        client = self.client.with_user(self.manager)
        client.action_new_key()
        self.assertTrue(client.key_hint)

    def test_new_key_is_shown_to_its_maker_only(self):
        other_company = self.env["res.company"].create({"name": "Other WISP"})
        other_manager = new_test_user(
            self.env,
            login="t_api_other_manager",
            groups="wisp_subscriber.group_wisp_manager",
            company_id=other_company.id,
            company_ids=[Command.set(other_company.ids)],
        )
        action = self.client.with_user(self.manager).action_new_key()
        shown = self.env["wisp.api.client.key"].browse(action["res_id"])
        self.assertTrue(shown.with_user(self.manager).key.startswith(self.client.key_hint))
        Key = self.env["wisp.api.client.key"].with_user(other_manager)
        self.assertFalse(Key.search([]))
        with self.assertRaises(AccessError):
            shown.with_user(other_manager).read(["key"])


@tagged("post_install", "-at_install")
class TestApiRace(TransactionCase):
    """Two real transactions, as two API calls racing: the test's own is not one."""

    def test_a_racing_call_is_rerun_on_a_fresh_snapshot(self):
        db = sql_db.db_connect(self.env.cr.dbname)
        with db.cursor() as cr:
            cr.execute(
                "INSERT INTO wisp_api_client (name, company_id, active)"
                " VALUES ('Race', %s, true) RETURNING id",
                [self.env.company.id],
            )
            client_id = cr.fetchone()[0]
        self.addCleanup(self._drop_client, db, client_id)
        with db.cursor() as original, db.cursor() as retry:
            retry.execute("SELECT 1")  # the retry's snapshot: before the original commits
            Client = api.Environment(original, SUPERUSER_ID, {})["wisp.api.client"]
            Client.browse(client_id)._api_lock()
            original.commit()
            Client = api.Environment(retry, SUPERUSER_ID, {})["wisp.api.client"]
            # not a wait then a stale read: an error Odoo's request retry reruns
            with (
                mute_logger("odoo.sql_db"),
                self.assertRaises(psycopg2.errors.SerializationFailure),
            ):
                Client.browse(client_id)._api_lock()

    @staticmethod
    def _drop_client(db, client_id):
        with db.cursor() as cr:
            cr.execute("DELETE FROM wisp_api_client WHERE id = %s", [client_id])


@tagged("post_install", "-at_install")
class TestApiOperations(WispApiCase):
    def test_plans_show_public_fields_only(self):
        response = self.call("GET", "/plans")
        self.assertEqual(response.status_code, 200)
        plans = {plan["name"]: plan for plan in response.json()}
        self.assertEqual(
            plans["Home 31"],
            {
                "id": self.plan_31.id,
                "name": "Home 31",
                "service_type": "internet",
                "price": 31.0,
                "currency": self.company.currency_id.name,
                "billing_period": "monthly",
                "download_kbps": 10000,
                "upload_kbps": 2000,
                "data_cap_gb": None,
            },
        )
        self.assertNotIn("Static IP", plans, "add-ons are not plans")

    def test_subscriber_status_and_balance(self):
        code = self.subscriber.subscriber_code
        response = self.call("GET", f"/subscribers/{code}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "subscriber_code": code,
                "status": "active",
                "currency": self.company.currency_id.name,
                "balance_due": self.invoice.amount_residual,
                "overdue": 0.0,
                "wallet_balance": 0.0,
                "services": [
                    {
                        "reference": self.service.name,
                        "service_type": "internet",
                        "plan": "Home 31",
                        "state": "active",
                    }
                ],
            },
        )
        self.assertNotIn("email", response.text)

    def test_unknown_and_foreign_subscribers_are_404(self):
        other_company = self.env["res.company"].create({"name": "Other WISP"})
        foreign = self.env["res.partner"].create(
            {"name": "Foreign", "company_id": other_company.id}
        )
        foreign.sudo().subscriber_code = "FOREIGN-1"
        for code in ("NOPE", "FOREIGN-1"):
            response = self.call("GET", f"/subscribers/{code}")
            self.assertEqual(response.status_code, 404)
            self.assertEqual(response.json(), {"detail": "No subscriber with this code."})

    def test_payment_pays_the_invoice_once_however_often_replayed(self):
        amount = self.invoice.amount_residual
        body = {
            "subscriber_code": self.subscriber.subscriber_code,
            "amount": f"{amount + 5:.2f}",
            "currency": self.company.currency_id.name.lower(),
            "external_ref": "mpesa-QH12345",
        }
        first = self.call("POST", "/payments", json=body)
        self.assertEqual(first.status_code, 201, first.text)
        self.assertFalse(first.json()["replayed"])
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))
        payment = self.env["account.payment"].search([("wisp_external_ref", "=", "mpesa-QH12345")])
        self.assertEqual(len(payment), 1)
        self.assertEqual(
            (payment.journal_id, payment.amount, payment.wisp_api_client_id),
            (self.bank_journal, round(amount + 5, 2), self.client),
        )
        self.assertEqual(first.json()["wallet_balance"], 5.0, "the rest stays as credit")
        self.assertEqual(first.json()["balance_due"], 0.0)

        replay = self.call("POST", "/payments", json=body)
        self.assertEqual(replay.status_code, 200)
        self.assertTrue(replay.json()["replayed"])
        self.assertEqual(replay.json()["payment"], payment.name)
        self.assertEqual(
            self.env["account.payment"].search_count([("partner_id", "=", self.subscriber.id)]), 1
        )
        self.assertEqual(self.subscriber.wisp_wallet_balance, 5.0, "paid once")

        # the same reference for another payment is refused, nothing booked
        other = self.call("POST", "/payments", json={**body, "amount": "1.00"})
        self.assertEqual(other.status_code, 422)
        self.assertEqual(other.json()["detail"][0]["loc"], ["body", "external_ref"])
        self.assertEqual(
            self.env["account.payment"].search_count([("partner_id", "=", self.subscriber.id)]), 1
        )

    def test_payment_bad_input_is_422_and_books_nothing(self):
        good = {
            "subscriber_code": self.subscriber.subscriber_code,
            "amount": "10.00",
            "currency": self.company.currency_id.name,
            "external_ref": "ref-1",
        }
        cases = [
            ({**good, "amount": "0"}, "amount"),
            ({**good, "amount": "-5"}, "amount"),
            ({**good, "amount": "1.234"}, "amount"),
            ({**good, "amount": "ten"}, "amount"),
            ({**good, "currency": "XXX" if good["currency"] != "XXX" else "YYY"}, "currency"),
            ({**good, "currency": "dollars"}, "currency"),
            ({**good, "subscriber_code": "NOPE"}, "subscriber_code"),
            ({k: v for k, v in good.items() if k != "external_ref"}, "external_ref"),
            ({**good, "note": "extra"}, "note"),
        ]
        for body, field in cases:
            response = self.call("POST", "/payments", json=body)
            self.assertEqual(response.status_code, 422, (body, response.text))
            self.assertIn(["body", field], [e["loc"] for e in response.json()["detail"]], body)
            self.assertTrue(all(e["msg"] for e in response.json()["detail"]))
        response = self.call(
            "POST",
            "/payments",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 422)
        self.assertFalse(self.env["account.payment"].search([("wisp_api_client_id", "!=", False)]))
        self.assertEqual(self.invoice.payment_state, "not_paid")

    def test_payment_needs_the_clients_journal(self):
        self.client.journal_id = False
        response = self.call(
            "POST",
            "/payments",
            json={
                "subscriber_code": self.subscriber.subscriber_code,
                "amount": "10.00",
                "currency": self.company.currency_id.name,
                "external_ref": "ref-2",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("no payment journal", response.json()["detail"])

    def test_connection_request_as_the_website_form_makes_it(self):
        reseller = self.env["res.partner"].create({"name": "Shop", "wisp_is_reseller": True})
        self.client.reseller_id = reseller
        body = {**PROSPECT, "plan_id": self.plan_31.id, "external_ref": "lead-1"}
        response = self.call("POST", "/connection-requests", json=body)
        self.assertEqual(response.status_code, 201, response.text)
        request = self.env["wisp.connection.request"].search(
            [("name", "=", response.json()["reference"])]
        )
        self.assertEqual(
            (request.source, request.wisp_api_client_id, request.reseller_id, request.plan_id),
            ("api", self.client, reseller, self.plan_31),
        )
        self.assertEqual(request.country_id, self.env.ref("base.us"))
        self.assertEqual(
            response.json(), {"reference": request.name, "status": "new", "created": True}
        )

    def test_connection_request_duplicate_is_not_made_twice(self):
        first = self.call("POST", "/connection-requests", json={**PROSPECT, "external_ref": "L-9"})
        self.assertEqual(first.status_code, 201)
        # a retry with the same reference, even with changes, returns the first
        again = self.call(
            "POST", "/connection-requests", json={**PROSPECT, "external_ref": "L-9", "note": "x"}
        )
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.json()["reference"], first.json()["reference"])
        self.assertFalse(again.json()["created"])
        # without a reference: the same e-mail at the same address, still open
        plain = self.call(
            "POST", "/connection-requests", json={**PROSPECT, "street": " 7 API STREET "}
        )
        self.assertEqual(plain.status_code, 200)
        self.assertEqual(plain.json()["reference"], first.json()["reference"])
        # the same prospect at another address is a new request, which staff see as a
        # possible duplicate (same e-mail), as for the website form
        elsewhere = self.call(
            "POST", "/connection-requests", json={**PROSPECT, "street": "9 Other Road"}
        )
        self.assertEqual(elsewhere.status_code, 201)
        Request = self.env["wisp.connection.request"]
        self.assertEqual(Request.search_count([("wisp_api_client_id", "=", self.client.id)]), 2)
        second = Request.search([("name", "=", elsewhere.json()["reference"])])
        self.assertIn(first.json()["reference"], second.duplicate_warning)
        # another client's identical request is its own
        _other, other_key = self.new_client("Other site")
        self.assertEqual(
            self.call("POST", "/connection-requests", key=other_key, json=PROSPECT).status_code, 201
        )

    def test_connection_request_bad_input_is_422(self):
        Request = self.env["wisp.connection.request"]
        before = Request.search_count([])
        cases = [
            ({**PROSPECT, "email": "not-an-email"}, "email"),
            ({**PROSPECT, "phone": "call me"}, "phone"),
            ({**PROSPECT, "country_code": "ZZ"}, "country_code"),
            ({**PROSPECT, "plan_id": self.addon_ip.id}, "plan_id"),
            ({**PROSPECT, "contact_name": ""}, "contact_name"),
            ({k: v for k, v in PROSPECT.items() if k != "city"}, "city"),
            ({**PROSPECT, "latitude": 123}, "latitude"),
            ({**PROSPECT, "street": "x" * 500}, "street"),
            ({**PROSPECT, "is_company": True}, "is_company"),
        ]
        for body, field in cases:
            response = self.call("POST", "/connection-requests", json=body)
            self.assertEqual(response.status_code, 422, (field, response.text))
            errors = response.json()["detail"]
            self.assertIn(["body", field], [e["loc"] for e in errors], (field, errors))
        self.assertEqual(Request.search_count([]), before)


@tagged("post_install", "-at_install")
class TestApiHttp(HttpCase):
    """Through Odoo's HTTP stack, as installed: the schema is public, calls are not."""

    def test_served_under_root_path(self):
        client = self.env["wisp.api.client"].create({"name": "Site", "scope_plans_read": True})
        key = self.env["wisp.api.client.key"].browse(client.action_new_key()["res_id"]).key
        response = self.url_open("/api/wisp/v1/plans", headers={"X-Api-Key": key})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIsInstance(response.json(), list)
        response = self.url_open("/api/wisp/v1/openapi.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["info"]["title"], "WISP API")
        response = self.url_open("/api/wisp/v1/plans", headers={"X-Api-Key": "wisp_wrong"})
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json(), {"detail": "Missing or invalid API key."})

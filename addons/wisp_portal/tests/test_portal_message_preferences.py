from odoo.tests import tagged

from .common import WispPortalCase


@tagged("post_install", "-at_install")
class TestPortalMessagePreferences(WispPortalCase):
    """/my/messages: the subscriber's own channel and offers choice, nobody else's."""

    def post(self, **data):
        return self.url_open(
            "/my/messages", data={"csrf_token": self.csrf_token(), **data}, allow_redirects=False
        )

    def csrf_token(self):
        page = self.url_open("/my/messages")
        self.assertEqual(page.status_code, 200)
        return page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    def test_choose_sms_and_no_offers(self):
        self.alice.write({"email": "alice@example.com", "phone": "+12202154155"})
        self.authenticate("alice", "alice")
        page = self.url_open("/my/messages")
        self.assertIn("alice@example.com", page.text)
        self.assertNotIn(self.bob.email or "bob@", page.text)
        answer = self.post(channel="sms", marketing_opt_out="1")
        self.assertEqual(answer.status_code, 200)
        self.assertIn("Your choices are saved", answer.text)
        self.assertEqual(self.alice.wisp_message_channel, "sms")
        self.assertTrue(self.alice._wisp_marketing_opted_out())
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", "alice@example.com")]))
        # offers back on
        self.post(channel="sms")
        self.alice.invalidate_recordset()
        self.assertFalse(self.alice._wisp_marketing_opted_out())

    def test_sms_without_a_number_is_refused_and_nothing_changes(self):
        self.alice.write({"phone": False, "wisp_message_channel": "email"})
        self.authenticate("alice", "alice")
        answer = self.post(channel="sms")
        self.assertEqual(answer.status_code, 400)
        self.assertIn("not a phone number SMS can reach", answer.text)
        self.alice.invalidate_recordset()
        self.assertEqual(self.alice.wisp_message_channel, "email")

    def test_bad_input_and_strangers(self):
        self.authenticate("alice", "alice")
        self.assertEqual(self.post(channel="fax").status_code, 400)
        # the page acts on the logged-in user only: a partner id is ignored
        self.post(channel="email", partner_id=str(self.bob.id), marketing_opt_out="1")
        self.assertFalse(self.bob._wisp_marketing_opted_out())
        self.authenticate(None, None)
        anonymous = self.url_open("/my/messages", allow_redirects=False)
        self.assertIn(anonymous.status_code, (302, 303))
        self.assertIn("/web/login", anonymous.headers["Location"])

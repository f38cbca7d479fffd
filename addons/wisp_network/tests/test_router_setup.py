import shlex

from odoo.addons.wisp_subscriber.tests.common import make_portal_user
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from ..models.wisp_service import profile_slug
from .common import ROUTER_PASSWORD, WispNetworkCase
from .emulators.routeros_emulator import MENUS

SCRIPT_VERBS = {"add", "set", "sign"}


def parse_script(text):
    """``[(menu path, verb, {field: value})]`` of a RouterOS script's commands.

    Unwraps ``:do { ... } on-error={}``; a word before the first ``field=value``
    that is not the verb names the entry (``set api-ssl``, ``sign NAME``).
    """
    commands = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(":do {"):
            line = line.removeprefix(":do {").removesuffix("} on-error={}").strip()
        words = shlex.split(line)
        assert words[0].startswith("/"), line
        menu = [words[0].lstrip("/")] if words[0] != "/" else []
        rest = words[1:]
        while rest and "=" not in rest[0] and rest[0] not in SCRIPT_VERBS:
            menu.append(rest.pop(0))
        assert rest and rest[0] in SCRIPT_VERBS, line
        verb, rest = rest[0], rest[1:]
        fields = dict(word.split("=", 1) for word in rest if "=" in word)
        commands.append(("/" + "/".join(part for part in menu if part), verb, fields))
    return commands


@tagged("post_install", "-at_install")
class TestRouterSetupScript(WispNetworkCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.menus = MENUS
        cls.radius_router = cls.env["wisp.router"].create(
            {
                "name": "Radius NAS",
                "site_id": cls.site.id,
                "backend": "radius",
                "host": "10.20.0.1",
                "provisioning_enabled": False,
                "radius_server_id": cls.env["wisp.radius.server"]
                .create(
                    {
                        "name": "Central RADIUS",
                        "dsn": "host=10.20.0.5 dbname=radius user=wisp password=Db-S3cret",
                    }
                )
                .id,
                "coa_secret": "CoA-S3cret",
                "coa_port": 3799,
            }
        )

    def assert_known_to_emulator(self, script):
        commands = parse_script(script)
        self.assertTrue(commands)
        for menu, verb, fields in commands:
            self.assertIn(menu, self.menus, f"{menu} is not a menu the emulator serves")
            if verb in ("add", "set"):
                unknown = set(fields) - set(self.menus[menu].fields)
                self.assertFalse(unknown, f"{menu} has no field {unknown}")
        return commands

    def test_routeros_script_uses_only_emulator_menus_and_fields(self):
        active = self.new_service(state="active")
        self.new_service(state="active", plan=self.plan_prepaid)
        self.new_service(state="active", plan=self.plan_capped)
        script = self.router.with_user(self.network)._setup_script()
        commands = self.assert_known_to_emulator(script)
        adds = {(menu, fields.get("name")) for menu, verb, fields in commands if verb == "add"}
        slug = active._speed_profile().name
        for name in (f"wisp-{slug}", f"wisp-{slug}-restricted"):
            self.assertIn(("/ppp/profile", name), adds)
        self.assertIn(("/ppp/profile", f"wisp-{profile_slug(self.plan_capped)}-fup"), adds)
        self.assertTrue(any(menu == "/ip/hotspot/user/profile" for menu, _name in adds))
        by_name = {fields.get("name"): fields for _menu, _verb, fields in commands}
        self.assertEqual(by_name[f"wisp-{slug}"]["rate-limit"], active._speed_profile().rate_limit)
        self.assertEqual(by_name[f"wisp-{slug}-restricted"]["address-list"], "wisp-restricted")
        self.assertEqual(by_name["wisp-api"]["policy"], "read,write,api,test,sensitive")
        self.assertEqual(by_name["wisp"]["group"], "wisp-api")
        service_set = [f for m, v, f in commands if m == "/ip/service" and v == "set"]
        # the test router talks plain API on another port: api-ssl gets the default
        # port and the plain API stays on
        self.assertEqual(
            service_set, [{"certificate": "wisp-api-ssl", "port": "8729", "disabled": "no"}]
        )
        portal = self.router.get_base_url().split("://", 1)[1].split(":")[0].split("/")[0]
        proxy = [f for m, _v, f in commands if m == "/ip/proxy/access"]
        self.assertEqual(proxy, [{"action": "redirect", "action-data": f"{portal}/captive"}])
        garden = [f["address"] for m, _v, f in commands if m == "/ip/firewall/address-list"]
        self.assertIn(portal, garden)
        self.assertFalse([m for m, _v, _f in commands if m.startswith("/radius")])
        # no secret: the API password and the subscribers' passwords are not in it
        self.assertNotIn(ROUTER_PASSWORD, script)
        self.assertNotIn(active.sudo().network_password, script)
        self.assertEqual(by_name["wisp"]["password"], "<API password>")

    def test_radius_script_configures_the_radius_client_without_secrets(self):
        script = self.radius_router.with_user(self.manager)._setup_script()
        commands = self.assert_known_to_emulator(script)
        radius = [f for m, v, f in commands if m == "/radius" and v == "add"]
        self.assertEqual(radius[0]["address"], "10.20.0.5")
        self.assertEqual(radius[0]["secret"], "<RADIUS shared secret>")
        self.assertIn(("/radius/incoming", "set", {"accept": "yes", "port": "3799"}), commands)
        for secret in ("CoA-S3cret", "Db-S3cret"):
            self.assertNotIn(secret, script)
        # RouterOS takes a RADIUS server by address: a host name leaves a placeholder
        self.radius_router.radius_server_id.dsn = "host=radius.example.net dbname=radius"
        commands = parse_script(self.radius_router.with_user(self.network)._setup_script())
        radius = [f for m, v, f in commands if m == "/radius" and v == "add"]
        self.assertEqual(radius[0]["address"], "<RADIUS address>")

    def test_only_network_staff_get_the_script(self):
        portal = make_portal_user(self.env, "t_rsc_portal")
        for user in (self.installer, self.support, self.billing, portal):
            router = self.router.with_user(user)
            with self.assertRaises(AccessError):
                router.action_download_setup_script()
            with self.assertRaises(AccessError):
                router._setup_script()
        action = self.router.with_user(self.network).action_download_setup_script()
        self.assertEqual(action["url"], f"/wisp_network/router/{self.router.id}/setup.rsc")


@tagged("post_install", "-at_install")
class TestRouterSetupScriptByUrl(WispNetworkCase, HttpCase):
    def test_download_by_url_for_network_staff_only(self):
        make_portal_user(self.env, "t_rsc_portal2")
        url = f"/wisp_network/router/{self.router.id}/setup.rsc"
        for login in ("t_installer", "t_support", "t_billing", "t_rsc_portal2"):
            self.authenticate(login, login)
            response = self.url_open(url)
            self.assertEqual(response.status_code, 403, login)
            self.assertNotIn("/ip service", response.text)
        for login in ("t_network", "t_manager"):
            self.authenticate(login, login)
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, login)
            self.assertIn("/ip service set api-ssl", response.text)
            self.assertIn(".rsc", response.headers["Content-Disposition"])
            self.assertNotIn(ROUTER_PASSWORD, response.text)

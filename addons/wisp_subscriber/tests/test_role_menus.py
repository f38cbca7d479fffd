"""Every menu a back-office role sees opens for that role: its list and the form of
its first records load with the fields the views show that role, as the web client
loads them (``get_views``, ``web_search_read``, ``web_read``). Post-install, with
every installed addon's menus and view extensions: an Access Error one of them adds
to a role's screen fails here, by menu and role."""

from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.safe_eval import datetime, dateutil, safe_eval, time

from .common import WispSubscriberCase

VIEW_TYPES = ("list", "kanban", "form")


def field_spec(arch_node, model_fields, models):
    """The ``web_read`` specification of the fields shown at the top of ``arch_node``
    (an x2many's inline list or form brings its own fields)."""
    spec = {}
    for node in arch_node.iter("field"):
        if any(parent.tag == "field" for parent in node.iterancestors()):
            continue  # a field of an x2many's subview: read with that x2many
        name = node.get("name")
        info = model_fields.get(name)
        if not info:
            continue
        if info["type"] in ("many2one", "one2many", "many2many"):
            sub = {"display_name": {}}
            comodel_fields = models.get(info["relation"], {}).get("fields", {})
            for subview in node.iterchildren("list", "form", "kanban"):
                sub.update(
                    field_spec(etree.fromstring(etree.tostring(subview)), comodel_fields, models)
                )
            spec[name] = {"fields": sub}
        else:
            spec[name] = {}
    return spec


@tagged("post_install", "-at_install")
class TestRoleMenus(WispSubscriberCase):
    def test_every_menu_of_every_role_opens(self):
        # a record for each role to open, the installer's own order included
        order = self.new_service(state="installation").installation_order_ids
        self.assertEqual(order.installer_id, self.installer)
        self.mount_device(order.service_id)
        findings = []
        roles = {
            "installer": self.installer,
            "support": self.support,
            "billing": self.billing,
            "network": self.network,
            "manager": self.manager,
        }
        opened = 0
        for role, user in roles.items():
            env = self.env(user=user, context={"lang": "en_US"})
            menus = self._shown_menus(env)
            for menu in menus:
                action = menu.action
                if action._name != "ir.actions.act_window" or action.res_model not in self.env:
                    continue
                # nothing computed for another role may stand in for this one's reads
                self.env.invalidate_all()
                try:
                    self._open(env, action)
                    opened += 1
                except AccessError as error:
                    findings.append(
                        f"{role}: menu {menu.complete_name} ({action.res_model}): {error}"
                    )
        self.assertFalse(findings, "\n" + "\n".join(findings))
        self.assertGreater(opened, 30)

    def _shown_menus(self, env):
        """What the web client shows ``env``'s user: visible menus whose every ancestor
        is visible too, with an action."""
        visible = env["ir.ui.menu"]._visible_menu_ids()
        menus = self.env["ir.ui.menu"].browse(visible).filtered("action")
        return menus.filtered(
            lambda m: all(int(i) in visible for i in m.parent_path.split("/") if i)
        )

    def _open(self, env, action):
        eval_context = {
            "uid": env.uid,
            "user": env.user,
            "time": time,
            "datetime": datetime,
            "dateutil": dateutil,
            "context_today": lambda: fields.Date.context_today(env.user),
            "allowed_company_ids": env.user.company_ids.ids,
            "active_id": False,
            "active_ids": [],
        }
        context = safe_eval(action.context or "{}", eval_context)
        domain = safe_eval(action.domain or "[]", eval_context)
        Model = env[action.res_model].with_context(
            **{key: value for key, value in context.items() if not key.startswith("search_")}
        )
        # the action's own views (view_ids, view_id), as the web client asks for them
        action_views = [(view_id, mode) for view_id, mode in action.views if mode in VIEW_TYPES]
        if not action_views:
            return  # reports (pivot, graph): read_group, not covered here
        modes = [mode for _view_id, mode in action_views]
        views = Model.get_views(action_views)
        model_fields = views["models"][action.res_model]["fields"]
        records = Model.browse()
        for mode in modes:
            if mode == "form":
                continue
            arch = etree.fromstring(views["views"][mode]["arch"])
            spec = field_spec(arch, model_fields, views["models"])
            rows = Model.web_search_read(domain, spec, limit=5)["records"]
            records = Model.browse([row["id"] for row in rows])
        if "form" in modes:
            arch = etree.fromstring(views["views"]["form"]["arch"])
            spec = field_spec(arch, model_fields, views["models"])
            if records:
                records[:2].web_read(spec)
            elif Model.has_access("create"):
                Model.onchange({}, [], spec)

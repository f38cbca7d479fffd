from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import NETWORK, SUPPORT, check_groups
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain

# helpdesk_mgmt's priorities, repeated here for the fields that mirror them.
PRIORITIES = [
    ("0", "Low"),
    ("1", "Medium"),
    ("2", "High"),
    ("3", "Very High"),
]
RECENT_JOBS = 5
# The agents who work tickets with the network: circuit tests, the service form.
AGENT_GROUPS = (SUPPORT, NETWORK)


# a write to one of these fields is a change a third party hears of (webhook)
WEBHOOK_FIELDS = {"stage_id", "user_id", "priority", "team_id"}


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    wisp_service_id = fields.Many2one(
        "wisp.service",
        string="Service",
        index="btree_not_null",
        tracking=True,
        domain="[('commercial_partner_id', '=?', commercial_partner_id)]",
        help="The subscriber's sub-service this ticket is about.",
    )
    wisp_router_id = fields.Many2one(
        "wisp.router",
        string="Router",
        index="btree_not_null",
        compute="_compute_wisp_router_id",
        store=True,
        readonly=False,
        groups="base.group_user",
    )
    wisp_network_job_id = fields.Many2one(
        "wisp.network.job",
        string="Failed Job",
        readonly=True,
        copy=False,
        index="btree_not_null",
        groups="base.group_user",
        help="The provisioning job whose failure opened (or last updated) this ticket.",
    )
    wisp_category_kind = fields.Selection(related="category_id.wisp_kind")
    # What the agent sees of the service, without leaving the ticket. Related
    # fields are read as superuser: staff-only, so that a ticket never shows more
    # of a service than its reader may see on the service itself.
    wisp_service_state = fields.Selection(
        related="wisp_service_id.state", string="Status", groups="base.group_user"
    )
    wisp_service_state_reason = fields.Char(
        related="wisp_service_id.state_reason", string="Status Reason", groups="base.group_user"
    )
    wisp_plan_id = fields.Many2one(
        related="wisp_service_id.plan_id", string="Plan", groups="base.group_user"
    )
    wisp_device_ids = fields.One2many(
        related="wisp_service_id.device_ids", string="Devices", groups="base.group_user"
    )
    wisp_cycle_usage_gb = fields.Float(
        related="wisp_service_id.cycle_usage_gb",
        string="Cycle Usage (GB)",
        groups="base.group_user",
    )
    wisp_data_cap_gb = fields.Integer(
        related="wisp_service_id.data_cap_gb", string="Data Cap (GB)", groups="base.group_user"
    )
    wisp_circuit_test_available = fields.Boolean(
        related="wisp_service_id.circuit_test_available", groups="base.group_user"
    )
    wisp_cap_exceeded = fields.Boolean(
        related="wisp_service_id.cap_exceeded", string="Cap Exceeded", groups="base.group_user"
    )
    # Read from the router when the ticket opens (short timeout): is the customer online?
    wisp_live_state = fields.Selection(
        related="wisp_service_id.live_state", string="Online Now", groups="base.group_user"
    )
    wisp_live_since = fields.Datetime(
        related="wisp_service_id.live_since", string="Online Since", groups="base.group_user"
    )
    wisp_live_address = fields.Char(
        related="wisp_service_id.live_address", string="Session IP", groups="base.group_user"
    )
    wisp_live_download_mb = fields.Float(
        related="wisp_service_id.live_download_mb",
        string="Downloaded This Session (MB)",
        groups="base.group_user",
    )
    wisp_live_upload_mb = fields.Float(
        related="wisp_service_id.live_upload_mb",
        string="Uploaded This Session (MB)",
        groups="base.group_user",
    )
    wisp_live_message = fields.Char(
        related="wisp_service_id.live_message", groups="base.group_user"
    )
    wisp_recent_job_ids = fields.Many2many(
        "wisp.network.job",
        string="Recent Router Jobs",
        compute="_compute_wisp_service_info",
        groups="base.group_user",
    )
    wisp_explanation = fields.Text(
        string="Explanation",
        compute="_compute_wisp_service_info",
        groups="base.group_user",
        help="What the suite knows that explains an outage: a suspension or restriction "
        "and its reason, a failed router job, an unreachable router, a data cap.",
    )
    wisp_first_response_date = fields.Datetime(
        string="First Response",
        readonly=True,
        copy=False,
        groups="base.group_user",
        help="First public reply of an agent, or the first move out of an unattended stage.",
    )
    wisp_escalation_ids = fields.One2many(
        "wisp.helpdesk.escalation",
        "ticket_id",
        string="Escalations",
        readonly=True,
        groups="base.group_user",
    )

    @api.depends("wisp_service_id")
    def _compute_wisp_router_id(self):
        for ticket in self:
            if ticket.wisp_service_id:
                ticket.wisp_router_id = ticket.wisp_service_id.sudo().router_id

    @api.depends("wisp_service_id", "wisp_router_id")
    def _compute_wisp_service_info(self):
        Job = self.env["wisp.network.job"]
        for ticket in self:
            service = ticket.wisp_service_id
            if service:
                jobs = Job.search([("service_id", "=", service.id)], limit=RECENT_JOBS)
            elif ticket.wisp_router_id:
                jobs = Job.search([("router_id", "=", ticket.wisp_router_id.id)], limit=RECENT_JOBS)
            else:
                jobs = Job
            ticket.wisp_recent_job_ids = jobs
            ticket.wisp_explanation = "\n".join(ticket._wisp_explain()) or False

    def _wisp_explain(self):
        """Lines explaining why the subscriber may have no (or slow) internet."""
        self.ensure_one()
        service = self.wisp_service_id.sudo()
        router = (service.router_id or self.wisp_router_id).sudo()
        lines = []
        states = dict(service._fields["state"]._description_selection(self.env))
        if service.state in ("restricted", "suspended", "paused"):
            lines.append(
                self.env._(
                    "Service is %(state)s: %(reason)s",
                    state=states[service.state].lower(),
                    reason=service.state_reason or self.env._("no reason recorded"),
                )
            )
        elif service.state in ("draft", "confirmed", "installation"):
            state = states[service.state].lower()
            lines.append(self.env._("Service is not active yet (%s).", state))
        elif service.state == "terminated":
            ended = service.termination_date or "?"
            lines.append(self.env._("Service was terminated on %s.", ended))
        domain = [("state", "=", "failed")]
        if service:
            domain.append(("service_id", "=", service.id))
        elif router:
            domain.append(("router_id", "=", router.id))
        failed = (service or router) and self.env["wisp.network.job"].sudo().search(domain, limit=1)
        if failed:
            lines.append(
                self.env._(
                    "Router sync failed: job %(job)s on %(router)s after %(attempts)s "
                    "attempt(s): %(error)s",
                    job=failed.id,
                    router=failed.router_id.name,
                    attempts=failed.attempts,
                    error=failed.router_id._scrub_access(failed.last_error or "?"),
                )
            )
        if router and router.reachability == "unreachable":
            lines.append(self.env._("Router %s does not answer.", router.name))
        if service.cap_exceeded:
            lines.append(self.env._("Data cap reached: fair-use speed until the next cycle."))
        return lines

    # -------------------------------------------------------------------------
    # Subscriber / service consistency
    # -------------------------------------------------------------------------
    @api.constrains("wisp_service_id", "partner_id")
    def _check_wisp_service_partner(self):
        for ticket in self.filtered(lambda t: t.wisp_service_id and t.partner_id):
            service = ticket.wisp_service_id.sudo()
            if service.commercial_partner_id != ticket.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Service %(service)s does not belong to %(partner)s.",
                        service=service.name,
                        partner=ticket.partner_id.display_name,
                    )
                )

    @api.onchange("wisp_service_id")
    def _onchange_wisp_service_id(self):
        if self.wisp_service_id and not self.partner_id:
            self.partner_id = self.wisp_service_id.partner_id
            self._onchange_partner_id()

    @api.onchange("category_id")
    def _onchange_category_wisp_defaults(self):
        category = self.category_id
        if category.wisp_default_team_id:
            self.team_id = category.wisp_default_team_id
        if category.wisp_default_priority:
            self.priority = category.wisp_default_priority

    @api.model_create_multi
    def create(self, vals_list):
        Category = self.env["helpdesk.ticket.category"]
        for vals in vals_list:
            category = Category.browse(vals.get("category_id"))
            if category and category.wisp_default_team_id and not vals.get("team_id"):
                vals["team_id"] = category.wisp_default_team_id.id
            if category and category.wisp_default_priority and not vals.get("priority"):
                vals["priority"] = category.wisp_default_priority
            service = self.env["wisp.service"].browse(vals.get("wisp_service_id"))
            if not service:
                continue
            # a service tells whose it is only to who may read it
            service.check_access("read")
            # tickets from failed router jobs are internal work: no customer
            if not vals.get("partner_id") and not vals.get("wisp_network_job_id"):
                subscriber = service.sudo().partner_id
                vals["partner_id"] = subscriber.id
                vals.setdefault("partner_name", subscriber.name)
                vals.setdefault("partner_email", subscriber.email)
        tickets = super().create(vals_list)
        tickets._wisp_queue_webhook("created")
        return tickets

    def write(self, vals):
        responded = self.browse()
        if vals.get("stage_id"):
            stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"])
            if not stage.unattended:
                responded = self.filtered(lambda t: not t.sudo().wisp_first_response_date)
        result = super().write(vals)
        responded._wisp_mark_responded()
        changed = WEBHOOK_FIELDS.intersection(vals)
        if changed:
            self._wisp_queue_webhook(",".join(sorted(changed)))
        return result

    def _wisp_queue_webhook(self, change):
        """Queue the ``ticket.changed`` webhook (see wisp.webhook.delivery)."""
        self.env["wisp.webhook.delivery"]._queue(
            "ticket.changed",
            [(ticket.company_id, ticket._wisp_webhook_data(change)) for ticket in self],
        )

    def _wisp_webhook_data(self, change):
        """The ticket as a third party sees it: where it stands, not what was said."""
        self.ensure_one()
        ticket = self.sudo()
        return {
            "ticket": ticket.number,
            "change": change,
            "subscriber_code": ticket.partner_id.commercial_partner_id.subscriber_code or None,
            "service": ticket.wisp_service_id.name or None,
            "stage": ticket.stage_id.name,
            "closed": ticket.stage_id.closed,
            "priority": ticket.priority,
            "team": ticket.team_id.name or None,
        }

    def _wisp_mark_responded(self):
        if self:
            self.sudo().with_context(tracking_disable=True).write(
                {"wisp_first_response_date": fields.Datetime.now()}
            )

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        author_users = message.sudo().author_id.user_ids
        if (
            message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and author_users.filtered(lambda u: not u.share)
        ):
            self.filtered(lambda t: not t.sudo().wisp_first_response_date)._wisp_mark_responded()
            self._wisp_queue_reply_sms(message)
        return result

    def _wisp_queue_reply_sms(self, message):
        """Text the customer that staff replied (helpdesk_mgmt mails the reply itself),
        when its channels include SMS; once per reply. The SMS names the ticket, never
        a message's text: only public replies (never internal notes) get here."""
        Message = self.env["wisp.message"].sudo()
        for ticket in self.sudo().filtered("partner_id"):
            Message._queue(
                "ticket_reply", ticket, ticket.partner_id, key=str(message.id), channels=("sms",)
            )

    # -------------------------------------------------------------------------
    # Portal
    # -------------------------------------------------------------------------
    def _wisp_portal_attachments(self):
        """The attachments the ticket's customer may see: those of the messages the
        portal shows and those a customer sent; not staff uploads nor internal notes'."""
        self.ensure_one()
        ticket = self.sudo()
        public = ticket.message_ids.filtered_domain(
            self.env["mail.message"]._get_search_domain_share()
        )
        return ticket.attachment_ids.filtered(
            lambda a: a in public.attachment_ids or a.create_uid.share
        )

    # -------------------------------------------------------------------------
    # SLA: helpdesk_mgmt_sla matches team, category and tags; add the priority
    # -------------------------------------------------------------------------
    def _get_sla_ticket_domain(self):
        domain = super()._get_sla_ticket_domain()
        return domain & Domain.OR(
            [Domain("wisp_priority", "=", False), Domain("wisp_priority", "=", self.priority)]
        )

    def _wisp_portal_sla(self):
        """The SLAs of this ticket as the portal shows them, soonest deadline first:
        ``name``, ``deadline``, ``status`` (on_time, late, on_hold, met, missed),
        ``label`` and ``badge``. The caller passes a ticket the user may read."""
        self.ensure_one()
        self.check_access("read")
        now = fields.Datetime.now()
        labels = {
            "on_time": (self.env._("On time"), "info"),
            "late": (self.env._("Overdue"), "danger"),
            "on_hold": (self.env._("On hold"), "secondary"),
            "met": (self.env._("Met"), "success"),
            "missed": (self.env._("Missed"), "danger"),
        }
        result = []
        ticket_slas = self.sudo().ticket_sla_ids.sorted(
            lambda sla: (not sla.deadline, sla.deadline or now)
        )
        for sla in ticket_slas:
            if sla.state == "in_progress":
                status = "late" if sla._wisp_breached(now) else "on_time"
            else:
                status = {"accomplished": "met", "expired": "missed"}.get(sla.state, "on_hold")
            label, badge = labels[status]
            result.append(
                {
                    "name": sla.name,
                    "deadline": sla.deadline,
                    "status": status,
                    "label": label,
                    "badge": badge,
                }
            )
        return result

    def _wisp_portal_sla_next(self):
        """The SLA the subscriber waits on (the soonest running one, else the last
        met or missed), or None."""
        slas = self._wisp_portal_sla()
        running = [sla for sla in slas if sla["status"] in ("on_time", "late", "on_hold")]
        return (running or slas[-1:] or [None])[0]

    # -------------------------------------------------------------------------
    # Buttons
    # -------------------------------------------------------------------------
    def action_wisp_circuit_test(self):
        """Ping the service's CPE through wisp_network and post the result here."""
        check_groups(self.env, AGENT_GROUPS)
        self.check_access("read")
        self.ensure_one()
        if not self.wisp_service_id:
            raise UserError(self.env._("Choose the service to test first."))
        service = self.wisp_service_id
        service.action_circuit_test()
        # The newest test (a cached one2many would keep its old order).
        test = self.env["wisp.circuit.test"].search([("service_id", "=", service.id)], limit=1)
        self.message_post(body=test._summary(), subtype_xmlid="mail.mt_note")
        return True

    def action_wisp_disconnect_session(self):
        """Drop the service's session on its router (wisp_network), noted on the ticket."""
        check_groups(self.env, AGENT_GROUPS)
        self.check_access("read")
        self.ensure_one()
        if not self.wisp_service_id:
            raise UserError(self.env._("Choose the service first."))
        result = self.wisp_service_id.action_disconnect_session()
        self.message_post(body=result["params"]["message"], subtype_xmlid="mail.mt_note")
        return result

    def action_wisp_view_service(self):
        check_groups(self.env, AGENT_GROUPS)
        self.check_access("read")
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "wisp.service",
            "res_id": self.wisp_service_id.id,
            "view_mode": "form",
        }

    # -------------------------------------------------------------------------
    # Demo data
    # -------------------------------------------------------------------------
    @api.model
    def _wisp_demo_opened_by_customer(self, ticket_id, age_hours):
        """Demo data: ticket ``ticket_id`` was opened ``age_hours`` ago by its customer, whose
        words (the description) start the conversation, so the tickets spread over the
        age report and none reads as written by OdooBot. Dates are set in SQL because
        ``create_date`` is the ORM's own; the SLA deadlines are recomputed from it."""
        ticket = self.browse(ticket_id)
        message = ticket._message_log(
            body=ticket.description,
            author_id=ticket.partner_id.id,
            message_type="comment",
        )
        # the customer's own words: a comment the portal shows, not an internal note
        message.subtype_id = self.env.ref("mail.mt_comment")
        opened = fields.Datetime.now() - timedelta(hours=age_hours)
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s", [opened, ticket.id]
        )
        self.env.cr.execute("UPDATE mail_message SET date = %s WHERE id = %s", [opened, message.id])
        self.env.invalidate_all()
        slas = ticket.ticket_sla_ids
        self.env.add_to_compute(slas._fields["deadline"], slas)
        slas.flush_recordset()
        return True

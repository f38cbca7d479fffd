from odoo import models
from odoo.fields import Domain


class WispNetworkJob(models.Model):
    _inherit = "wisp.network.job"

    def _failed(self, error):
        """After wisp_network recorded the outcome, a job that gave up opens a ticket.

        Retries with backoff stay pending and open nothing; only the final
        failure does, and an open ticket of the same service (or router, for
        router-wide jobs) is updated instead of opening another one.
        """
        result = super()._failed(error)
        for job in self.filtered(lambda j: j.state == "failed"):
            job._wisp_open_ticket()
        return result

    def _wisp_ticket_domain(self):
        self.ensure_one()
        domain = Domain("wisp_network_job_id", "!=", False) & Domain("stage_id.closed", "=", False)
        if self.service_id:
            return domain & Domain("wisp_service_id", "=", self.service_id.id)
        return (
            domain
            & Domain("wisp_service_id", "=", False)
            & Domain("wisp_router_id", "=", self.router_id.id)
        )

    def _wisp_open_ticket(self):
        """Open (or update) the network team's ticket about this failed job.

        The ticket is internal work: it has no customer (the subscriber is not
        told about it, nor sees it on the portal) and its description is neutral.
        The error goes to an internal note, scrubbed of the router's access
        (address, port, users, passwords, RADIUS database), which stays on the
        job for the network engineers.
        """
        self.ensure_one()
        Ticket = self.env["helpdesk.ticket"].sudo()
        job = self.sudo()
        ticket = Ticket.search(self._wisp_ticket_domain(), order="id desc", limit=1)
        note = self.env._(
            "Provisioning job %(job)s (%(kind)s) on router %(router)s failed after "
            "%(attempts)s attempt(s): %(error)s",
            job=job.id,
            kind=dict(job._fields["kind"]._description_selection(self.env))[job.kind],
            router=job.router_id.name,
            attempts=job.attempts,
            error=job.router_id._scrub_access(job.last_error or "?"),
        )
        if ticket:
            ticket.write({"wisp_network_job_id": job.id})
            ticket.message_post(body=note, subtype_xmlid="mail.mt_note")
            return ticket
        team = self.env.ref("wisp_helpdesk.team_network", raise_if_not_found=False)
        category = self.env.ref("wisp_helpdesk.category_no_internet", raise_if_not_found=False)
        target = job.service_id.display_name or job.router_id.name
        ticket = Ticket.create(
            {
                "name": self.env._("Router sync failed: %s", target),
                "description": self.env._(
                    "The network could not apply the latest change of %s. "
                    "The details are in the internal notes.",
                    target,
                ),
                "team_id": team.id if team else False,
                "category_id": category.id if category else False,
                "priority": "2",
                "wisp_service_id": job.service_id.id,
                "wisp_router_id": job.router_id.id,
                "wisp_network_job_id": job.id,
                "user_id": job.router_id.responsible_id.id,
                "channel_id": self.env.ref(
                    "helpdesk_mgmt.helpdesk_ticket_channel_other", raise_if_not_found=False
                ).id,
            }
        )
        ticket.message_post(body=note, subtype_xmlid="mail.mt_note")
        return ticket

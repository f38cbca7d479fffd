from datetime import datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools.access import INSTALLER, NETWORK, SUPPORT, check_groups
from ..tools.geo import distance_km, has_position
from .wisp_cpe_device import OWNERSHIPS

# The office plans and cancels orders; installers complete their own.
OFFICE = (SUPPORT, NETWORK)
# Set by the order's actions only, which write them as superuser once checked.
ACTION_FIELDS = ("state", "date_done", "picking_id")
# What an installer may change on its own order: not whose or which service it is.
INSTALLER_FIELDS = ("report", "scheduled_date", "duration", "color")
# An installer's working day (local time of whoever plans) and how far ahead to plan.
WORK_START = time(8, 0)
WORK_END = time(17, 0)
PLANNING_DAYS = 5


class WispInstallationOrder(models.Model):
    """Work order for an installation engineer: go to the address, mount the
    CPE, and complete the order, which activates the service."""

    _name = "wisp.installation.order"
    _description = "Installation Order"
    _inherit = ["mail.thread", "mail.activity.mixin", "wisp.protected.fields.mixin"]
    _order = "scheduled_date, id"
    _check_company_auto = True

    name = fields.Char(string="Reference", readonly=True, copy=False, default="/")
    service_id = fields.Many2one(
        "wisp.service", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="service_id.company_id", store=True)
    partner_id = fields.Many2one(
        related="service_id.commercial_partner_id", string="Subscriber", store=True
    )
    address_id = fields.Many2one(related="service_id.address_id", store=True)
    site_id = fields.Many2one(related="service_id.site_id", store=True)
    street = fields.Char(
        compute="_compute_street", help="Where to go: the service address on one line."
    )
    map_url = fields.Char(
        string="Map",
        compute="_compute_street",
        help="The service address on OpenStreetMap: its coordinates when known, else a "
        "search for the street.",
    )
    phone = fields.Char(related="service_id.partner_id.phone")
    plan_id = fields.Many2one(related="service_id.plan_id")
    installer_id = fields.Many2one(
        "res.users",
        tracking=True,
        index=True,
        domain=lambda self: [
            ("all_group_ids", "in", self.env.ref("wisp_subscriber.group_wisp_installer").id)
        ],
    )
    scheduled_date = fields.Datetime(tracking=True)
    duration = fields.Float(string="Duration (hours)", default=2.0)
    date_done = fields.Datetime(readonly=True, copy=False)
    state = fields.Selection(
        [
            ("draft", "To Schedule"),
            ("scheduled", "Scheduled"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
        ],
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    note = fields.Html(string="Instructions")
    report = fields.Text(string="Installer's Report")
    color = fields.Integer()
    # The device to mount, from stock: delivered from the installer's van (else the
    # warehouse) by a picking reserved when the order is scheduled.
    cpe_product_id = fields.Many2one(
        "product.product",
        string="CPE Model",
        domain=[("is_wisp_cpe", "=", True)],
        tracking=True,
        help="The device to install, taken from stock. Empty: no device from stock "
        "(the subscriber's own, or recorded by hand).",
    )
    cpe_ownership = fields.Selection(
        OWNERSHIPS,
        string="CPE Ownership",
        default="rented",
        required=True,
        help="Rented: a monthly fee with the service, returned at termination. Sold: "
        "paid in installments of its sales price.",
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", readonly=True, copy=False, groups="base.group_user"
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("wisp.installation.order")
        return super().create(vals_list)

    @api.depends(
        "address_id.street",
        "address_id.street2",
        "address_id.zip",
        "address_id.city",
        "address_id.country_id",
        "address_id.partner_latitude",
        "address_id.partner_longitude",
    )
    def _compute_street(self):
        for order in self:
            address = order.address_id
            parts = (
                address.street,
                address.street2,
                " ".join(filter(None, (address.zip, address.city))),
                address.country_id.name,
            )
            order.street = ", ".join(filter(None, parts))
            lat, lon = address.partner_latitude, address.partner_longitude
            if lat or lon:
                order.map_url = (
                    f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
                )
            elif order.street:
                query = urlencode({"query": order.street})
                order.map_url = f"https://www.openstreetmap.org/search?{query}"
            else:
                order.map_url = False

    @api.model
    def _wisp_field_write_groups(self):
        office_only = {name: OFFICE for name in self._fields if name not in INSTALLER_FIELDS}
        return {
            **super()._wisp_field_write_groups(),
            **office_only,
            **dict.fromkeys(ACTION_FIELDS, ()),
        }

    def action_schedule(self):
        check_groups(self.env, OFFICE)
        self.check_access("write")
        for order in self:
            if order.state != "draft":
                raise UserError(self.env._("Only an order to schedule can be scheduled."))
            if not (order.installer_id and order.scheduled_date):
                raise UserError(
                    self.env._(
                        "Set the installer and the date of %(order)s first.", order=order.name
                    )
                )
        self.sudo().write({"state": "scheduled"})
        # stock moves as superuser: the office schedules without stock rights
        self.sudo()._wisp_create_deliveries()
        # Network engineers schedule too: the order is the authority for that move.
        self.service_id.filtered(
            lambda s: s.state == "confirmed"
        ).sudo().action_schedule_installation()
        for order in self:
            order.message_subscribe(partner_ids=order.installer_id.partner_id.ids)
        self._queue_schedule_messages()
        return True

    def write(self, vals):
        res = super().write(vals)
        if "scheduled_date" in vals:
            self.filtered(lambda o: o.state == "scheduled")._queue_schedule_messages()
        if vals.keys() & {"installer_id", "cpe_product_id", "cpe_ownership"}:
            # another van, model or owner: the delivery is made again from there
            scheduled = self.filtered(lambda o: o.state == "scheduled").sudo()
            scheduled._wisp_cancel_deliveries()
            scheduled._wisp_create_deliveries()
        return res

    def _queue_schedule_messages(self):
        # keyed by the date: a new date is news again, the same one is not
        for order in self.filtered("scheduled_date"):
            order._queue_subscriber_message(
                "installation_scheduled", key=fields.Datetime.to_string(order.scheduled_date)
            )

    def _queue_subscriber_message(self, code, key=""):
        self.ensure_one()
        self.env["wisp.message"]._queue(code, self, self.service_id.partner_id, key=key)

    def action_done(self):
        # Installers: their own orders only (record rule); the office: any order.
        check_groups(self.env, (INSTALLER, *OFFICE))
        self.check_access("write")
        if self.filtered(lambda o: o.state != "scheduled"):
            raise UserError(self.env._("Only a scheduled installation can be completed."))
        # What was mounted is known from the day it runs: support and the network team
        # find the device by its serial number and MAC address.
        for order in self:
            if not order.service_id.sudo().device_ids.filtered(
                lambda d: d.serial_number and d.mac_address
            ):
                raise UserError(
                    self.env._(
                        "Record the device mounted for %(order)s (serial number and MAC "
                        "address) before completing it.",
                        order=order.name,
                    )
                )
        # the order is checked: stock moves as superuser (installers have no stock rights)
        self.sudo()._wisp_validate_deliveries()
        self.sudo().write({"state": "done", "date_done": fields.Datetime.now()})
        for order in self:
            order._queue_subscriber_message("installation_done")
        # The installer may complete his own order without rights on the
        # service itself: the order is the authority for that activation.
        self.service_id.filtered(
            lambda s: s.state in ("confirmed", "installation")
        ).sudo().action_activate()
        return True

    def action_cancel(self):
        check_groups(self.env, OFFICE)
        self.check_access("write")
        if self.filtered(lambda o: o.state == "done"):
            raise UserError(self.env._("A completed installation cannot be cancelled."))
        self.sudo()._wisp_cancel_deliveries()
        return self.sudo().write({"state": "cancelled"})

    def action_reset(self):
        check_groups(self.env, OFFICE)
        self.check_access("write")
        return self.filtered(lambda o: o.state == "cancelled").sudo().write({"state": "draft"})

    # -------------------------------------------------------------------------
    # CPE from stock
    # -------------------------------------------------------------------------
    def _wisp_delivery_source(self):
        """(warehouse, location the device leaves from): the installer's van when it
        has one in the order's company, else the warehouse's stock."""
        self.ensure_one()
        warehouse = self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1
        )
        if not warehouse:
            raise UserError(
                self.env._(
                    "Company %(company)s has no warehouse to deliver %(order)s from.",
                    company=self.company_id.name,
                    order=self.name,
                )
            )
        van = self.installer_id.wisp_van_location_id
        if van and van.company_id in (self.company_id, van.company_id.browse()):
            return warehouse, van
        return warehouse, warehouse.lot_stock_id

    def _wisp_create_deliveries(self):
        """A delivery of the order's CPE model to the subscriber, reserved at once
        (a device missing in the van leaves it waiting: stock shows it)."""
        # a customer-owned device is the subscriber's own: nothing leaves the stock
        for order in self.filtered(
            lambda o: (
                o.cpe_product_id
                and o.cpe_ownership != "customer_owned"
                and o.picking_id.state in (False, "cancel")
            )
        ):
            warehouse, source = order._wisp_delivery_source()
            partner = order.address_id or order.partner_id
            destination = partner.with_company(order.company_id).property_stock_customer
            product = order.cpe_product_id
            picking = (
                self.env["stock.picking"]
                .with_company(order.company_id)
                .create(
                    {
                        "picking_type_id": warehouse.out_type_id.id,
                        "partner_id": partner.id,
                        "location_id": source.id,
                        "location_dest_id": destination.id,
                        "origin": order.name,
                        "move_ids": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "product_uom_qty": 1,
                                    "product_uom": product.uom_id.id,
                                    "location_id": source.id,
                                    "location_dest_id": destination.id,
                                }
                            )
                        ],
                    }
                )
            )
            picking.action_confirm()
            picking.action_assign()
            order.picking_id = picking

    def _wisp_cancel_deliveries(self):
        self.picking_id.filtered(lambda p: p.state not in ("done", "cancel")).action_cancel()

    def _wisp_validate_deliveries(self):
        """Deliver the serial actually mounted: the device recorded on the service
        whose serial number is a serial of the order's model in stock (the van, the
        warehouse, another van) is put on the delivery, which is validated; the
        device is then linked to that serial."""
        for order in self.filtered(lambda o: o.picking_id.state not in (False, "done", "cancel")):
            picking = order.picking_id
            move = picking.move_ids.filtered(lambda m: m.state != "cancel")[:1]
            devices = order.service_id.device_ids.filtered(
                lambda d: d.serial_number and not d.lot_id
            )
            quant = self.env["stock.quant"].search(
                [
                    ("product_id", "=", move.product_id.id),
                    ("lot_id.name", "in", devices.mapped("serial_number")),
                    ("location_id.usage", "=", "internal"),
                    ("company_id", "=", order.company_id.id),
                    ("quantity", ">", 0),
                ],
                limit=1,
            )
            if not quant:
                raise UserError(
                    self.env._(
                        "The serial number recorded for %(order)s is not a %(model)s in "
                        "stock: record the serial of the device mounted.",
                        order=order.name,
                        model=move.product_id.display_name,
                    )
                )
            lot = quant.lot_id
            line_vals = {"lot_id": lot.id, "location_id": quant.location_id.id, "quantity": 1}
            line = move.move_line_ids[:1]
            (move.move_line_ids - line).unlink()
            if line:
                line.write(line_vals)
            else:
                self.env["stock.move.line"].create(
                    {
                        **line_vals,
                        "move_id": move.id,
                        "picking_id": picking.id,
                        "product_id": move.product_id.id,
                        "product_uom_id": move.product_uom.id,
                        "location_dest_id": move.location_dest_id.id,
                    }
                )
            move.picked = True
            picking.button_validate()
            if picking.state != "done":
                raise UserError(
                    self.env._(
                        "The delivery %(picking)s could not be validated.", picking=picking.name
                    )
                )
            devices.filtered(lambda d, lot=lot: d.serial_number == lot.name)[:1]._wisp_delivered(
                lot, picking, order.cpe_ownership
            )

    # -------------------------------------------------------------------------
    # Scheduling proposals
    # -------------------------------------------------------------------------
    def _position(self):
        """(latitude, longitude) of the order's address, else of its site, else None."""
        self.ensure_one()
        address, site = self.address_id, self.site_id
        if has_position(address.partner_latitude, address.partner_longitude):
            return address.partner_latitude, address.partner_longitude
        if has_position(site.latitude, site.longitude):
            return site.latitude, site.longitude
        return None

    def _wisp_installer_proposals(self, first_day=None, days=PLANNING_DAYS, limit=10):
        """Free slots of the installers for this order, best first.

        Each installer gets, on each working day from ``first_day`` (default: tomorrow)
        for ``days`` working days, its earliest gap of the order's duration between its
        open orders of that day, inside the working day. The distance is from where the
        installer is just before: the address of its previous order of that day, else
        its own address, to the order's address (or site). Proposals are ranked by day,
        then distance (unknown last), then start.

        :return: list of dicts ``{installer, start, distance_km}`` (``start`` a naive
            UTC datetime, ``distance_km`` None when a position is missing)
        """
        self.ensure_one()
        installers = self.env.ref(INSTALLER).user_ids.filtered(
            lambda u: not u.share and self.company_id in u.company_ids
        )
        tz = ZoneInfo(self.env.user.tz or "UTC")
        today = datetime.now(tz).date()
        day = first_day or today + timedelta(days=1)
        work_days = []
        while len(work_days) < days:
            if day.weekday() < 5:
                work_days.append(day)
            day += timedelta(days=1)

        def utc(day, moment):
            local = datetime.combine(day, moment, tzinfo=tz)
            return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

        busy = self.search(
            [
                ("id", "!=", self.id),
                ("installer_id", "in", installers.ids),
                ("state", "in", ("draft", "scheduled")),
                ("scheduled_date", "<", utc(work_days[-1], WORK_END)),
                ("scheduled_date", ">=", utc(work_days[0], time(0, 0)) - timedelta(days=1)),
            ]
        )
        target = self._position()
        proposals = []
        for installer in installers:
            jobs = busy.filtered(lambda o, i=installer: o.installer_id == i)
            home = installer.partner_id
            home = (
                (home.partner_latitude, home.partner_longitude)
                if has_position(home.partner_latitude, home.partner_longitude)
                else None
            )
            for work_day in work_days:
                slot = self._first_gap(
                    jobs,
                    utc(work_day, time(0, 0)),
                    utc(work_day, WORK_START),
                    utc(work_day, WORK_END),
                )
                if slot is None:
                    continue
                start, origin = slot
                origin = origin or home
                proposals.append(
                    {
                        "installer": installer,
                        "start": start,
                        "distance_km": distance_km(*origin, *target) if origin and target else None,
                    }
                )
        proposals.sort(
            key=lambda p: (
                p["start"].date(),
                p["distance_km"] is None,
                p["distance_km"] or 0.0,
                p["start"],
            )
        )
        return proposals[:limit]

    def _first_gap(self, jobs, day_start, start, end):
        """(earliest start of a gap of this order's length among ``jobs`` between
        ``start`` and ``end``, position of the job of that day just before it or None),
        or None when the day is full. ``day_start``: midnight of that (local) day."""
        length = timedelta(hours=self.duration or 1.0)
        origin = None
        for job in jobs.sorted("scheduled_date"):
            job_end = job.scheduled_date + timedelta(hours=job.duration or 1.0)
            if job_end <= start:
                if job.scheduled_date >= day_start:
                    origin = job._position() or origin
                continue
            if job.scheduled_date >= end:
                break
            if job.scheduled_date >= start + length:
                break
            start = job_end
            origin = job._position() or origin
        return (start, origin) if start + length <= end else None

    def action_propose_installers(self):
        """Open the proposed installers and slots for this order."""
        check_groups(self.env, OFFICE)
        self.check_access("write")
        self.ensure_one()
        if self.state not in ("draft", "scheduled"):
            raise UserError(self.env._("Only an open installation order can be planned."))
        Proposal = self.env["wisp.installation.proposal"]
        Proposal.search([("order_id", "=", self.id)]).unlink()
        proposals = Proposal.create(
            [
                {
                    "order_id": self.id,
                    "installer_id": proposal["installer"].id,
                    "start": proposal["start"],
                    "distance_km": proposal["distance_km"] or 0.0,
                    "distance_known": proposal["distance_km"] is not None,
                    "rank": rank,
                }
                for rank, proposal in enumerate(self._wisp_installer_proposals(), 1)
            ]
        )
        if not proposals:
            raise UserError(
                self.env._("No installer has a free slot of this length in the coming days.")
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "wisp_subscriber.wisp_installation_proposal_action"
        )
        action["domain"] = [("id", "in", proposals.ids)]
        action["name"] = self.env._("Proposals for %(order)s", order=self.name)
        return action

import ipaddress

import psycopg2.extensions

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..adapters.base import BackendError
from ..adapters.radius import RadiusBackend


class WispRadiusServer(models.Model):
    """A FreeRADIUS database shared by any number of routers (NAS).

    The suite writes the ``nas`` table (the routers as RADIUS clients) and the
    logins of each router, scoped to it; FreeRADIUS runs the configuration
    shipped in ``deploy/freeradius``. Network engineers only: the database
    access (and the routers' shared secrets it stores) is theirs.
    """

    _name = "wisp.radius.server"
    _description = "RADIUS Server"
    _order = "name, id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Empty: shared by the companies' routers.",
    )
    dsn = fields.Char(
        string="Database",
        required=True,
        copy=False,
        groups="wisp_subscriber.group_wisp_network",
        help="libpq connection string of the FreeRADIUS PostgreSQL database, "
        "e.g. host=radius.lan dbname=radius user=wisp password=...",
    )
    schema = fields.Char(
        help="Schema holding the FreeRADIUS tables; empty: the database's search path.",
    )
    address = fields.Char(
        string="RADIUS Address",
        help="Address the routers send RADIUS requests to (their setup script). "
        "Empty: the database host, when it is an IP address.",
    )
    router_ids = fields.One2many("wisp.router", "radius_server_id", string="Routers")
    router_count = fields.Integer(compute="_compute_router_count")

    @api.depends("router_ids")
    def _compute_router_count(self):
        for server in self:
            server.router_count = len(server.router_ids)

    @api.constrains("address")
    def _check_address(self):
        for server in self.filtered("address"):
            try:
                ipaddress.ip_address(server.address.strip())
            except ValueError:
                raise ValidationError(
                    self.env._(
                        "%(server)s: the RADIUS address must be an IP address.",
                        server=server.name,
                    )
                ) from None

    @api.constrains("dsn")
    def _check_dsn(self):
        for server in self.sudo():
            try:
                psycopg2.extensions.parse_dsn(server.dsn)
            except psycopg2.Error:
                # libpq's own message quotes the text around the fault (the password?)
                raise ValidationError(
                    self.env._(
                        "%(server)s: the database connection string is malformed "
                        "(expected key=value pairs or a postgresql:// URI).",
                        server=server.name,
                    )
                ) from None

    def _backend(self, **options):
        """The adapter for this database (``options``: the adapter's, e.g. ``nas``).

        Reads the credentials: callers outside the network group use ``sudo()``.
        """
        self.ensure_one()
        return RadiusBackend(self.dsn, schema=self.schema or None, **options)

    def _nas_clients(self):
        """``(clients, kept)``: the RADIUS clients of this server's routers, and the
        addresses of routers whose client cannot be written now (no secret...),
        which must stay as they are rather than lose their logins."""
        self.ensure_one()
        clients, kept = [], []
        routers = (
            self.env["wisp.router"]
            .sudo()
            .search([("radius_server_id", "=", self.id), ("backend", "=", "radius")])
        )
        for router in routers:
            nas = router._radius_nas()
            try:
                clients.append(nas.validated())
            except BackendError:
                kept.append(nas.address)
        return clients, kept

    def _radius_host(self):
        """The address routers send RADIUS to, or the setup script's placeholder."""
        self.ensure_one()
        if self.address:
            return self.address.strip()
        try:
            db_host = psycopg2.extensions.parse_dsn(self.sudo().dsn or "").get("host", "")
            return str(ipaddress.ip_address(db_host))
        except (psycopg2.Error, ValueError):
            return "<RADIUS address>"  # RouterOS takes an address, not a name

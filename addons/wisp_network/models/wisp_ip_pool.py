import ipaddress

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.addons.wisp_subscriber.tools.access import BILLING, NETWORK, SUPPORT, related_action
from odoo.exceptions import UserError, ValidationError
from odoo.tools import mute_logger

# Every entry of a pool is a row (allocation is one indexed SELECT ... SKIP LOCKED),
# so a pool is capped: an IPv4 /16, or a /48 cut into /64s.
MAX_POOL_ENTRIES = 65536
# Free entries read at once by the allocator (it takes the first it can lock).
CANDIDATES = 32
# Take one free entry (the pool's first, or a given one) unless another transaction holds it.
_TAKE = """
    UPDATE wisp_ip_address
       SET state = 'used', service_id = %(service)s, quarantine_until = NULL,
           write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
     WHERE id = (SELECT id FROM wisp_ip_address WHERE state = 'free' AND {}
                    FOR UPDATE SKIP LOCKED)
 RETURNING id
"""
TAKE_FIRST_ENTRY = _TAKE.format("pool_id = %(pool)s ORDER BY host_index LIMIT 1")
TAKE_ENTRY = _TAKE.format("id = %(entry)s")
PURPOSES = [
    ("pppoe", "PPPoE"),
    ("dhcp", "DHCP / IPoE"),
    ("static", "Static public"),
]
# Fields whose change rebuilds (size) or re-marks (reserved) the pool's entries.
LAYOUT_FIELDS = {"cidr", "prefix_length"}
RESERVED_FIELDS = {"gateway", "exclusions"}


class WispIpPool(models.Model):
    """A block of addresses (IPv4) or of delegated prefixes (IPv6) of a site or router.

    Each host address or delegated prefix is a ``wisp.ip.address`` row made when
    the pool is created: free, used by a service, quarantined after a termination,
    or reserved (the gateway, the exclusions).
    """

    _name = "wisp.ip.pool"
    _description = "IP Address Pool"
    _inherit = ["mail.thread"]
    _order = "site_id, sequence, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10, help="Pools of a purpose are used in this order.")
    site_id = fields.Many2one("wisp.site", required=True, index=True, tracking=True)
    router_id = fields.Many2one(
        "wisp.router",
        index=True,
        tracking=True,
        domain="[('site_id', '=', site_id)]",
        help="Only for the services of this router; empty: every router of the site.",
    )
    company_id = fields.Many2one(related="site_id.company_id", store=True, index=True)
    purpose = fields.Selection(PURPOSES, required=True, default="pppoe", tracking=True)
    cidr = fields.Char(
        string="Network",
        required=True,
        tracking=True,
        help="IPv4 network (10.20.0.0/24) or IPv6 prefix to delegate from (2001:db8:100::/48).",
    )
    ip_version = fields.Selection(
        [("4", "IPv4"), ("6", "IPv6")],
        compute="_compute_ip_version",
        store=True,
        string="IP Version",
    )
    gateway = fields.Char(tracking=True, help="IPv4: the router's address in the network.")
    exclusions = fields.Text(
        tracking=True,
        help="IPv4 addresses never handed out, separated by commas or lines: single "
        "addresses or ranges (10.20.0.2-10.20.0.9).",
    )
    prefix_length = fields.Integer(
        string="Delegated Prefix Length",
        default=56,
        tracking=True,
        help="IPv6: the size of the prefix each service gets (e.g. 56 or 64).",
    )
    quarantine_days = fields.Integer(
        default=7,
        tracking=True,
        help="Days a terminated service's address stays unused before it is free again "
        "(stale sessions, firewall rules and reputation of the old subscriber).",
    )
    address_ids = fields.One2many("wisp.ip.address", "pool_id", string="Addresses")
    size = fields.Integer(compute="_compute_usage", help="Usable entries, reserved included.")
    free_count = fields.Integer(compute="_compute_usage", string="Free")
    used_count = fields.Integer(compute="_compute_usage", string="Used")
    quarantined_count = fields.Integer(compute="_compute_usage", string="Quarantined")
    reserved_count = fields.Integer(compute="_compute_usage", string="Reserved")
    usage_pct = fields.Float(
        compute="_compute_usage",
        string="Usage (%)",
        help="Used and quarantined entries out of those that may be handed out.",
    )

    @api.depends("cidr")
    def _compute_ip_version(self):
        for pool in self:
            try:
                pool.ip_version = str(ipaddress.ip_network((pool.cidr or "").strip()).version)
            except ValueError:
                pool.ip_version = False

    def _compute_usage(self):
        counts = {}
        if self.ids:
            rows = (
                self.env["wisp.ip.address"]
                .sudo()
                ._read_group([("pool_id", "in", self.ids)], ["pool_id", "state"], ["__count"])
            )
            for pool, state, count in rows:
                counts.setdefault(pool.id, {})[state] = count
        for pool in self:
            by_state = counts.get(pool.id, {})
            pool.free_count = by_state.get("free", 0)
            pool.used_count = by_state.get("used", 0)
            pool.quarantined_count = by_state.get("quarantined", 0)
            pool.reserved_count = by_state.get("reserved", 0)
            pool.size = sum(by_state.values())
            taken = pool.used_count + pool.quarantined_count
            usable = pool.size - pool.reserved_count
            pool.usage_pct = 100.0 * taken / usable if usable else 0.0

    # -------------------------------------------------------------------------
    # Layout: the network, its entries, what is reserved
    # -------------------------------------------------------------------------
    def _network(self):
        """The pool's network, or a ValidationError saying what is wrong with it."""
        self.ensure_one()
        text = (self.cidr or "").strip()
        try:
            return ipaddress.ip_network(text)
        except ValueError:
            pass
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise ValidationError(
                self.env._(
                    "Pool %(pool)s: %(cidr)r is not a network; write it as 10.20.0.0/24 "
                    "(IPv4) or 2001:db8:100::/48 (IPv6).",
                    pool=self.name,
                    cidr=text,
                )
            ) from None
        raise ValidationError(
            self.env._(
                "Pool %(pool)s: %(cidr)s has host bits set; the network is %(network)s.",
                pool=self.name,
                cidr=text,
                network=str(loose),
            )
        )

    def _entry_count(self):
        """How many entries the pool has, or a ValidationError when too many."""
        network = self._network()
        if network.version == 4:
            count = network.num_addresses - (0 if network.prefixlen >= 31 else 2)
        else:
            count = 2 ** (self.prefix_length - network.prefixlen)
        if count > MAX_POOL_ENTRIES:
            raise ValidationError(
                self.env._(
                    "Pool %(pool)s has %(count)s entries; at most %(max)s per pool (an IPv4 "
                    "/16, an IPv6 /48 cut into /64): split it into several pools.",
                    pool=self.name,
                    count=count,
                    max=MAX_POOL_ENTRIES,
                )
            )
        return count

    def _entries(self):
        """``[(index, text)]`` of every entry: IPv4 host addresses (network and
        broadcast left out, except in a /31 or /32), IPv6 prefixes of
        ``prefix_length``. Built from integers: ``subnets()`` is slower."""
        network = self._network()
        count = self._entry_count()
        base = int(network.network_address)
        if network.version == 4:
            first = base + (0 if network.prefixlen >= 31 else 1)
            return [(i, str(ipaddress.IPv4Address(first + i))) for i in range(count)]
        shift, length = 128 - self.prefix_length, self.prefix_length
        return [(i, f"{ipaddress.IPv6Address(base + (i << shift))}/{length}") for i in range(count)]

    def _address_in(self, text, network):
        try:
            address = ipaddress.IPv4Address(text.strip())
        except ValueError:
            address = None
        if address is None or address not in network:
            raise ValidationError(
                self.env._(
                    "Pool %(pool)s: %(address)r is not an address of %(network)s.",
                    pool=self.name,
                    address=text.strip(),
                    network=str(network),
                )
            )
        return address

    def _reserved(self):
        """The set of IPv4 address texts the pool never hands out (gateway, exclusions)."""
        self.ensure_one()
        network = self._network()
        if network.version != 4:
            return set()
        reserved = set()
        if self.gateway:
            reserved.add(str(self._address_in(self.gateway, network)))
        for item in (self.exclusions or "").replace("\n", ",").split(","):
            if not item.strip():
                continue
            start, _dash, end = item.partition("-")
            first = self._address_in(start, network)
            last = self._address_in(end, network) if end.strip() else first
            if last < first:
                raise ValidationError(
                    self.env._(
                        "Pool %(pool)s: the range %(range)s ends before it starts.",
                        pool=self.name,
                        range=item.strip(),
                    )
                )
            reserved.update(str(ipaddress.IPv4Address(i)) for i in range(int(first), int(last) + 1))
        return reserved

    @api.constrains("cidr", "prefix_length", "gateway", "exclusions")
    def _check_layout(self):
        for pool in self:
            network = pool._network()
            if network.version == 6:
                if pool.gateway or pool.exclusions:
                    raise ValidationError(
                        pool.env._(
                            "Pool %s delegates IPv6 prefixes: it has no gateway or exclusions.",
                            pool.name,
                        )
                    )
                if not network.prefixlen < pool.prefix_length <= 64:
                    raise ValidationError(
                        pool.env._(
                            "Pool %(pool)s: the delegated prefix length must be longer than "
                            "/%(network)s and at most /64.",
                            pool=pool.name,
                            network=network.prefixlen,
                        )
                    )
            pool._entry_count()
            pool._reserved()  # gateway and exclusions inside

    @api.constrains("router_id", "site_id")
    def _check_router_site(self):
        for pool in self.filtered("router_id"):
            if pool.router_id.site_id != pool.site_id:
                raise ValidationError(
                    self.env._(
                        "Pool %(pool)s: router %(router)s is not at site %(site)s.",
                        pool=pool.name,
                        router=pool.router_id.name,
                        site=pool.site_id.name,
                    )
                )

    @api.constrains("cidr", "site_id", "router_id", "active")
    def _check_overlap(self):
        for pool in self.filtered("active"):
            network = pool._network()
            others = self.sudo().search(
                [
                    ("site_id", "=", pool.site_id.id),
                    ("ip_version", "=", pool.ip_version),
                    ("id", "!=", pool.id),
                ]
            )
            clash = others.filtered(
                lambda other, network=network: network.overlaps(other._network())
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "Pool %(pool)s (%(cidr)s) overlaps pool %(other)s (%(other_cidr)s) of "
                        "site %(site)s: the pools of a site never share an address.",
                        pool=pool.name,
                        cidr=pool.cidr,
                        other=clash[0].name,
                        other_cidr=clash[0].cidr,
                        site=pool.site_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        pools = super().create(vals_list)
        for pool in pools:
            pool._build_entries()
            pool._adopt_service_addresses()
        return pools

    def write(self, vals):
        # Only a real change of the network rebuilds the entries (a data file or an
        # RPC client may write the same values again).
        renumbered = self.filtered(
            lambda pool: any(pool[name] != vals[name] for name in LAYOUT_FIELDS & vals.keys())
        )
        if renumbered:
            self.check_access("write")  # the refusal comes before what the pool holds
            renumbered._check_unused(self.env._("change the network of"))
        result = super().write(vals)
        for pool in renumbered:
            self.env["wisp.ip.address"].sudo().search([("pool_id", "=", pool.id)]).unlink()
            pool._build_entries()
        if RESERVED_FIELDS & vals.keys():
            for pool in self - renumbered:
                pool._mark_reserved()
        if {"cidr", "site_id", "router_id"} & vals.keys():
            for pool in self:
                pool._adopt_service_addresses()
        return result

    def unlink(self):
        self.check_access("unlink")
        self._check_unused(self.env._("delete"))
        return super().unlink()

    def _check_unused(self, action):
        taken = (
            self.env["wisp.ip.address"]
            .sudo()
            .search(
                [("pool_id", "in", self.ids), ("state", "in", ("used", "quarantined"))], limit=1
            )
        )
        if taken:
            raise UserError(
                self.env._(
                    "Cannot %(action)s pool %(pool)s: %(address)s is %(state)s. Move its "
                    "services to another address first.",
                    action=action,
                    pool=taken.pool_id.name,
                    address=taken.address,
                    state=dict(taken._fields["state"]._description_selection(self.env))[
                        taken.state
                    ],
                )
            )

    def _build_entries(self):
        """One row per entry, written in one statement (a /16 is 65,536 rows)."""
        self.ensure_one()
        entries = self._entries()
        reserved = self._reserved()
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO wisp_ip_address (pool_id, host_index, address, state,
                                         create_uid, create_date, write_uid, write_date)
            SELECT %(pool)s, e.idx, e.address,
                   CASE WHEN e.address = ANY(%(reserved)s) THEN 'reserved' ELSE 'free' END,
                   %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
              FROM unnest(%(indexes)s::int[], %(addresses)s::varchar[]) AS e(idx, address)
            """,
            {
                "pool": self.id,
                "reserved": list(reserved),
                "uid": self.env.uid,
                "indexes": [index for index, _text in entries],
                "addresses": [text for _index, text in entries],
            },
        )
        self.env["wisp.ip.address"].invalidate_model()

    def _mark_reserved(self):
        """Re-mark the reserved entries after the gateway or exclusions changed."""
        self.ensure_one()
        reserved = self._reserved()
        Address = self.env["wisp.ip.address"].sudo()
        clash = Address.search(
            [
                ("pool_id", "=", self.id),
                ("address", "in", list(reserved)),
                ("state", "in", ("used", "quarantined")),
            ],
            limit=1,
        )
        if clash:
            raise ValidationError(
                self.env._(
                    "Pool %(pool)s cannot reserve %(address)s: service %(service)s has it.",
                    pool=self.name,
                    address=clash.address,
                    service=clash.service_id.name,
                )
            )
        Address.search(
            [
                ("pool_id", "=", self.id),
                ("state", "=", "reserved"),
                ("address", "not in", list(reserved)),
            ]
        ).write({"state": "free"})
        Address.search(
            [("pool_id", "=", self.id), ("state", "=", "free"), ("address", "in", list(reserved))]
        ).write({"state": "reserved"})

    def _adopt_service_addresses(self):
        """Mark the addresses the site's services already have (typed before the pool
        existed) as theirs, so the pool never hands them out again."""
        self.ensure_one()
        field = "ip_address" if self.ip_version == "4" else "ipv6_prefix"
        domain = [
            ("site_id", "=", self.site_id.id),
            ("state", "!=", "terminated"),
            (field, "!=", False),
        ]
        if self.router_id:
            domain.append(("router_id", "=", self.router_id.id))
        services = self.env["wisp.service"].sudo().search(domain)
        held = {service[field]: service for service in services}
        if not held:
            return
        entries = (
            self.env["wisp.ip.address"]
            .sudo()
            .search([("pool_id", "=", self.id), ("address", "in", list(held))])
        )
        for entry in entries.filtered(lambda e: e.state != "used"):
            service = held[entry.address]
            if entry.state == "reserved":
                raise ValidationError(
                    self.env._(
                        "Pool %(pool)s reserves %(address)s, which service %(service)s uses.",
                        pool=self.name,
                        address=entry.address,
                        service=service.name,
                    )
                )
            entry.write({"state": "used", "service_id": service.id, "quarantine_until": False})

    # -------------------------------------------------------------------------
    # Allocation
    # -------------------------------------------------------------------------
    @api.model
    def _for_service(self, service, purpose=None):
        """Active pools serving ``service`` (its router's first, then its site's)."""
        domain = [
            ("site_id", "=", service.site_id.id),
            "|",
            ("router_id", "=", False),
            ("router_id", "=", service.router_id.id),
        ]
        if purpose:
            domain.append(("purpose", "=", purpose))
        if not service.site_id:
            return self.sudo().browse()
        pools = self.sudo().search_fetch(domain, ["router_id", "sequence", "ip_version", "cidr"])
        return pools.sorted(lambda p: (not p.router_id, p.sequence, p.id))

    def _allocate(self, service):
        """Give ``service`` the first free entry of the first pool in ``self`` that has one.

        Each entry is taken with a row lock (``FOR UPDATE SKIP LOCKED``) in a
        savepoint: an entry another transaction holds is skipped without waiting,
        and one it took and committed since this transaction began (a
        serialization failure under Odoo's REPEATABLE READ) is skipped too, so two
        activations never get the same entry and neither has to be retried. The
        first try takes the first free entry in one statement; only when it meets
        such a conflict are the free entries walked in host order.
        """
        Address = self.env["wisp.ip.address"].sudo()
        Address.flush_model()  # the SQL below must see this transaction's pending writes
        for pool in self:
            entry_id = pool._take_entry(service)
            after = -1
            while entry_id is False:
                self.env.cr.execute(
                    """
                    SELECT id, host_index FROM wisp_ip_address
                     WHERE pool_id = %s AND state = 'free' AND host_index > %s
                     ORDER BY host_index
                     LIMIT %s
                    """,
                    [pool.id, after, CANDIDATES],
                )
                candidates = self.env.cr.fetchall()
                if not candidates:
                    break
                entry_id = next(
                    (
                        taken
                        for candidate, _index in candidates
                        if (taken := pool._take_entry(service, candidate))
                    ),
                    False,
                )
                after = candidates[-1][1]
            if entry_id:
                entry = Address.browse(entry_id)
                entry.invalidate_recordset()
                return entry
        raise UserError(
            self.env._(
                "No free %(what)s for service %(service)s: pool %(pools)s is exhausted. Add "
                "a pool to site %(site)s or free addresses, then activate again.",
                what=self.env._("IPv6 prefix")
                if self[:1].ip_version == "6"
                else self.env._("address"),
                service=service.name,
                pools=", ".join(f"{p.name} ({p.cidr})" for p in self),
                site=service.site_id.name,
            )
        )

    def _take_entry(self, service, entry_id=None):
        """Mark entry ``entry_id`` (default: this pool's first free one) as
        ``service``'s and return its id. None: nothing to take (no free entry
        left, or it is held by another transaction); False: another transaction
        took it since this one began (a serialization failure, rolled back to the
        savepoint)."""
        query = TAKE_ENTRY if entry_id else TAKE_FIRST_ENTRY
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    query,
                    {
                        "service": service.id,
                        "uid": self.env.uid,
                        "pool": self.id,
                        "entry": entry_id,
                    },
                )
                row = self.env.cr.fetchone()
                return row[0] if row else None
        except pg_errors.SerializationFailure:
            return False

    @api.model
    def _cron_release_quarantine(self):
        """Addresses whose quarantine is over are free again (one statement)."""
        self.env["wisp.ip.address"].flush_model()
        self.env.cr.execute(
            """
            UPDATE wisp_ip_address
               SET state = 'free', service_id = NULL, quarantine_until = NULL,
                   write_date = now() AT TIME ZONE 'UTC'
             WHERE state = 'quarantined' AND quarantine_until <= %s
            """,
            [fields.Datetime.now()],
        )
        self.env["wisp.ip.address"].invalidate_model()
        return self.env.cr.rowcount

    # -------------------------------------------------------------------------
    # Navigation
    # -------------------------------------------------------------------------
    def action_view_addresses(self):
        return related_action(
            self,
            (SUPPORT, BILLING, NETWORK),
            "wisp_network.wisp_ip_address_action",
            lambda record: ([("pool_id", "=", record.id)], {"search_default_taken": 1}),
        )

    @api.model
    def _demo_assign_addresses(self):
        """Demo data: the running internet services of each site with a pool get an
        address (and an IPv6 prefix) from it, as their activation would have."""
        services = self.env["wisp.service"].search(
            [
                ("service_type", "=", "internet"),
                ("state", "in", self.env["wisp.service"]._network_present_states()),
                ("site_id", "in", self.search([]).site_id.ids),
            ]
        )
        services._ipam_assign()

import base64
import io

from psycopg2.errors import UniqueViolation
from psycopg2.extras import execute_values

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.codes import generate_codes
from ..tools.voucher_cards import render_cards

MAX_BATCH = 200000
INSERT_PAGE = 10000
NULL_COPY = r"\N"
VOUCHER_CODE_LENGTH = 12  # 11 random symbols (55 bits) + 1 check character


class WispVoucherBatch(models.Model):
    """A print run of access codes for one prepaid plan."""

    _name = "wisp.voucher.batch"
    _description = "Voucher Batch"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    plan_id = fields.Many2one(
        "product.product",
        required=True,
        tracking=True,
        domain="[('is_wisp_plan', '=', True), ('is_prepaid', '=', True)]",
    )
    duration_label = fields.Char(string="Duration", related="plan_id.wisp_period_label")
    download_kbps = fields.Integer(related="plan_id.download_kbps")
    upload_kbps = fields.Integer(related="plan_id.upload_kbps")
    data_cap_label = fields.Char(string="Data Cap", related="plan_id.wisp_data_cap_label")
    quantity = fields.Integer(required=True, default=100)
    price = fields.Monetary(
        required=True,
        compute="_compute_price",
        store=True,
        readonly=False,
        precompute=True,
        help="Retail price printed on each card.",
    )
    wholesale_price = fields.Monetary(
        help="What a reseller owes per card; empty: the price minus the reseller's commission."
    )
    sell_by = fields.Date(help="Cards are not sold after this date.")
    use_by = fields.Date(help="Cards not redeemed by this date expire.")
    reseller_id = fields.Many2one(
        "res.partner", domain="[('wisp_is_reseller', '=', True)]", tracking=True
    )
    reseller_mode = fields.Selection(
        [("consignment", "Consignment"), ("prepaid", "Prepaid")], default="consignment"
    )
    state = fields.Selection(
        [("draft", "Draft"), ("generated", "Generated"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    voucher_ids = fields.One2many("wisp.voucher", "batch_id")
    voucher_count = fields.Integer(compute="_compute_voucher_count")

    _quantity_positive = models.Constraint(
        "CHECK(quantity > 0)", "A batch holds at least one voucher."
    )
    _price_positive = models.Constraint("CHECK(price >= 0)", "A price cannot be negative.")
    _wholesale_price_positive = models.Constraint(
        "CHECK(wholesale_price >= 0)", "A wholesale price cannot be negative."
    )

    @api.depends("plan_id")
    def _compute_price(self):
        for batch in self:
            batch.price = batch.plan_id.lst_price

    def _compute_voucher_count(self):
        counts = dict(
            self.env["wisp.voucher"]._read_group(
                [("batch_id", "in", self.ids)], ["batch_id"], ["__count"]
            )
        )
        for batch in self:
            batch.voucher_count = counts.get(batch, 0)

    def action_generate(self):
        """Insert ``quantity`` vouchers with fresh codes, in one statement per
        round. Codes are unique across batches by a UNIQUE index; the rare
        collision is dropped by ON CONFLICT and replaced in the next round."""
        self.check_access("write")  # the codes are inserted in SQL, past the ORM's checks
        for batch in self:
            if batch.state != "draft":
                raise UserError(self.env._("Codes of batch %(b)s exist already.", b=batch.name))
            if not 0 < batch.quantity <= MAX_BATCH:
                raise UserError(
                    self.env._("Generate between 1 and %(max)s vouchers at once.", max=MAX_BATCH)
                )
            if not batch.plan_id.is_prepaid:
                raise UserError(self.env._("Vouchers are for prepaid plans only."))
            batch._insert_vouchers(batch.quantity)
            batch.state = "generated"
        return True

    def _insert_vouchers(self, quantity):
        """Insert ``quantity`` vouchers with COPY, a page at a time.

        A page is copied optimistically (collisions of 55-bit codes are
        astronomically rare); if the UNIQUE index refuses it, that page is
        inserted again with ON CONFLICT DO NOTHING and the codes it dropped
        are regenerated in the next round. Only batch_id and the create/write
        uids are foreign keys on a voucher row: their checks are most of what
        an insert costs.
        """
        self.ensure_one()
        self.env.flush_all()
        cr, uid = self.env.cr, self.env.uid
        now = fields.Datetime.to_string(fields.Datetime.now())
        use_by = fields.Date.to_string(self.use_by) if self.use_by else None
        columns = "code, batch_id, use_by, create_uid, write_uid, state, create_date, write_date"
        # COPY text format: one line per code, the other columns constant
        tail = f"\t{self.id}\t{use_by or NULL_COPY}\t{uid}\t{uid}\tnew\t{now}\t{now}\n"
        missing = quantity
        while missing:
            codes = list(generate_codes(missing, VOUCHER_CODE_LENGTH))
            for start in range(0, len(codes), INSERT_PAGE):
                page = codes[start : start + INSERT_PAGE]
                try:
                    with cr.savepoint(flush=False):
                        cr._obj.copy_expert(
                            f"COPY wisp_voucher ({columns}) FROM STDIN",
                            io.StringIO(tail.join(page) + tail),
                        )
                    missing -= len(page)
                except UniqueViolation:
                    inserted = execute_values(
                        cr._obj,
                        f"INSERT INTO wisp_voucher ({columns}) VALUES %s"  # noqa: S608
                        " ON CONFLICT (code) DO NOTHING RETURNING id",
                        [(code, self.id, use_by, uid, uid, "new", now, now) for code in page],
                        page_size=INSERT_PAGE,
                        fetch=True,
                    )
                    missing -= len(inserted)
        self.env["wisp.voucher"].invalidate_model()
        self.invalidate_recordset(["voucher_ids", "voucher_count"])

    def action_cancel(self):
        for batch in self:
            batch.voucher_ids.filtered(lambda v: v.state in ("new", "assigned")).action_void()
            batch.state = "cancelled"
        return True

    def action_assign_reseller(self):
        """Hand the batch's unassigned cards to its reseller."""
        self.check_access("write")  # before a prepaid stock invoice is made as superuser
        for batch in self:
            if not batch.reseller_id:
                raise UserError(self.env._("Choose the reseller of batch %(b)s.", b=batch.name))
            batch.voucher_ids.filtered(lambda v: v.state == "new")._wisp_assign(
                batch.reseller_id, batch.reseller_mode
            )
        return True

    def action_view_vouchers(self):
        self.ensure_one()
        return self.voucher_ids._get_records_action(name=self.env._("Vouchers"))

    # -------------------------------------------------------------------------
    # Card sheets
    # -------------------------------------------------------------------------
    def _render_cards_pdf(self, vouchers=None):
        """PDF bytes: one card per voucher (default: the unused ones)."""
        self.ensure_one()
        vouchers = vouchers or self.voucher_ids.filtered(
            lambda v: v.state in ("new", "assigned", "sold")
        )
        company = self.company_id
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        logo = base64.b64decode(company.logo) if company.logo else None
        price = self.currency_id.format(self.price) if self.currency_id else str(self.price)
        validity = self.env._("%(duration)s from first login", duration=self.duration_label)
        if self.use_by:
            validity += self.env._(", redeem by %(date)s", date=self.use_by)
        return render_cards(
            codes=vouchers.mapped("code"),
            company_name=company.name,
            logo=logo,
            plan=self.plan_id.name,
            price=price,
            validity=validity,
            url_prefix=f"{base_url.rstrip('/')}/hotspot?code=",
        )

    def action_print_cards(self):
        """Render the card sheet and download it as an attachment."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"vouchers-{self.name}.pdf",
                "raw": self._render_cards_pdf(),
                "mimetype": "application/pdf",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

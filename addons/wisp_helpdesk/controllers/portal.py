from odoo.addons.helpdesk_mgmt.controllers.myaccount import CustomerPortalHelpdesk


class WispCustomerPortalHelpdesk(CustomerPortalHelpdesk):
    def _ticket_get_page_view_values(self, ticket, access_token, **kwargs):
        values = super()._ticket_get_page_view_values(ticket, access_token, **kwargs)
        # helpdesk_mgmt lists every attachment of the ticket, internal notes' included
        values["wisp_attachments"] = ticket._wisp_portal_attachments()
        return values

import { registry } from "@web/core/registry";
import { guarded, openMenu } from "@wisp_subscriber/../tests/tours/wisp_backoffice_tour_utils";

// Billing clerk's day: the subscriber and its service (billing page) -> start today's
// billing run and open it -> register the payment of an invoice.
registry.category("web_tour.tours").add("wisp_billing_day", {
    steps: () =>
        guarded([
            {
                content: "The subscriber's form is shown",
                trigger: ".o_form_view .o_field_widget[name='name']:contains('Tour Payer')",
            },
            {
                content: "Open the subscriber's services",
                trigger: ".o_form_view button[name='action_view_services']",
                run: "click",
            },
            {
                content: "Unfold the service address",
                trigger: ".o_group_header:contains('Tour Payer')",
                run: "click",
            },
            {
                content: "Open the service",
                trigger: ".o_data_row:contains('SRV') td.o_data_cell",
                run: "click",
            },
            {
                content: "The service's billing page is there",
                trigger: ".o_form_view .o_notebook a:contains('Billing')",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_field_widget[name='billed_until']",
            },
            ...openMenu("Billing", "Billing Runs"),
            {
                content: "Start today's run",
                trigger: ".o_list_view button[name='action_start_today']",
                run: "click",
            },
            {
                content: "The new run lists its chunk",
                trigger: ".o_form_view .o_field_widget[name='chunk_ids'] .o_data_row",
            },
            ...openMenu("Billing", "Customer Invoices"),
            {
                content: "Open the unpaid invoice",
                trigger: ".o_list_view .o_data_row:contains('Tour Payer') td.o_data_cell",
                run: "click",
            },
            {
                content: "Register the payment",
                trigger: ".o_form_view .o_form_statusbar button[name='action_register_payment']:visible",
                run: "click",
            },
            {
                content: "Create the payment",
                trigger: ".modal button[name='action_create_payments']:visible",
                run: "click",
            },
            {
                content: "The invoice is paid",
                trigger:
                    ".o_form_view:not(:has(.modal)) .ribbon:contains('Paid'), .o_form_view:not(:has(.modal)) .ribbon:contains('In Payment')",
            },
        ]),
});

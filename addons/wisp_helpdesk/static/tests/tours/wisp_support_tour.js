import { registry } from "@web/core/registry";
import { guarded } from "@wisp_subscriber/../tests/tours/wisp_backoffice_tour_utils";

// Support agent's call: the subscriber -> the service -> a circuit test -> a ticket on
// the service -> back to the service from the ticket.
registry.category("web_tour.tours").add("wisp_support_day", {
    steps: () =>
        guarded([
            {
                content: "The subscriber's form is shown",
                trigger: ".o_breadcrumb .active:contains('Tour Caller')",
            },
            {
                content: "Open the subscriber's services",
                trigger: ".o_form_view button[name='action_view_services']",
                run: "click",
            },
            {
                content: "Unfold the service address",
                trigger: ".o_group_header:contains('Tour Caller')",
                run: "click",
            },
            {
                content: "Open the service",
                trigger: ".o_data_row:contains('SRV') td.o_data_cell",
                run: "click",
            },
            {
                content: "Run a circuit test",
                trigger: ".o_form_view button[name='action_circuit_test']",
                run: "click",
            },
            {
                content: "Open the circuit tests",
                trigger: ".o_form_view .o_notebook a:contains('Circuit Tests')",
                run: "click",
            },
            {
                content: "The CPE answered",
                trigger: ".o_field_widget[name='circuit_test_ids'] .o_data_row:contains('Reachable')",
            },
            {
                content: "Open the service's tickets",
                trigger: ".o_form_view button[name='action_view_helpdesk_tickets']",
                run: "click",
            },
            {
                content: "New ticket",
                trigger: ".o_control_panel button.o_list_button_add",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_field_widget[name='name'] input",
                run: "edit Slow evenings since Monday",
            },
            {
                trigger: ".o_form_view .o_field_widget[name='description'] .odoo-editor-editable",
                run: "editor Speed drops after 7 pm; circuit test reachable.",
            },
            {
                content: "Save the ticket",
                trigger: ".o_form_view .o_form_button_save",
                run: "click",
            },
            {
                content: "The ticket is saved",
                trigger: ".o_breadcrumb .active:contains('Slow evenings')",
            },
            {
                content: "Back to the service from the ticket",
                trigger: ".o_form_view button[name='action_wisp_view_service']",
                run: "click",
            },
            {
                content: "The service's form is shown",
                trigger: ".o_breadcrumb .active:contains('SRV')",
            },
        ]),
});

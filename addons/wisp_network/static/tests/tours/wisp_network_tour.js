import { registry } from "@web/core/registry";
import { guarded, openMenu } from "@wisp_subscriber/../tests/tours/wisp_backoffice_tour_utils";

// Network engineer's day: a router -> its failed provisioning job -> retry it; then
// the provisioning jobs of every router.
registry.category("web_tour.tours").add("wisp_network_day", {
    steps: () =>
        guarded([
            {
                content: "The router's form is shown",
                trigger: ".o_breadcrumb .active:contains('Test NAS')",
            },
            {
                content: "Open the router's failed jobs",
                trigger: ".o_form_view button[name='action_view_failed_jobs']",
                run: "click",
            },
            {
                content: "Open the failed job",
                trigger: ".o_list_view .o_data_row:contains('Failed') td.o_data_cell",
                run: "click",
            },
            {
                content: "Retry it",
                trigger: ".o_form_view button[name='action_retry']",
                run: "click",
            },
            {
                content: "The job is back in the queue",
                trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Pending')",
            },
            ...openMenu("Network", "Provisioning Jobs"),
            {
                content: "The provisioning jobs are listed",
                trigger: ".o_list_view .o_data_row:contains('Test NAS'):contains('Pending')",
            },
        ]),
});

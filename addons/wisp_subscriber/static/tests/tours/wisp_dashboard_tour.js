import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("wisp_dashboard", {
    steps: () => [
        {
            content: "The dashboard shows the active subscribers",
            trigger: ".o_wisp_dashboard .o_wisp_figure_active .o_wisp_figure_value",
        },
        {
            content: "Open the active subscribers",
            trigger: ".o_wisp_figure_active",
            run: "click",
        },
        {
            content: "Their list opens",
            trigger: ".o_breadcrumb .active:contains(Active)",
        },
        {
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb a:contains(WISP Dashboard)",
            run: "click",
        },
        {
            content: "Open the services of the largest plan",
            trigger: ".o_wisp_table_per_plan .o_wisp_table_row:first-child",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb .active:contains(Per Plan)",
        },
        {
            trigger: ".o_list_view .o_data_row",
        },
    ],
});

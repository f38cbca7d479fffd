import { registry } from "@web/core/registry";
import { guarded } from "@wisp_subscriber/../tests/tours/wisp_backoffice_tour_utils";

// Installer's day: today's order -> where to go (street, map) -> the service -> complete
// it with the serial number and MAC address of the device mounted.
registry.category("web_tour.tours").add("wisp_installer_day", {
    steps: () =>
        guarded([
            {
                content: "Open the search options",
                trigger: ".o_searchview_dropdown_toggler",
                run: "click",
            },
            {
                content: "Only today's orders",
                trigger: ".o_filter_menu .o_menu_item:contains('Today')",
                run: "click",
            },
            {
                trigger: ".o_searchview_facet:contains('Today')",
            },
            {
                content: "Tomorrow's order is not listed",
                trigger:
                    ".o_kanban_renderer:has(.o_kanban_record:contains('12 Tour Lane')):not(:has(.o_kanban_record:contains('99 Tomorrow Road')))",
            },
            {
                content: "Open today's order",
                trigger: ".o_kanban_record:contains('12 Tour Lane')",
                run: "click",
            },
            {
                content: "The street to go to",
                trigger: ".o_field_widget[name='street']:contains('12 Tour Lane, Testville')",
            },
            {
                content: "A map link of the address",
                trigger: ".o_field_widget[name='map_url'] a[href*='openstreetmap.org']",
            },
            {
                content: "Open the service of the order",
                trigger: ".o_field_widget[name='service_id'] a",
                run: "click",
            },
            {
                content: "The service form is shown",
                trigger: ".o_breadcrumb .active:contains('SRV')",
            },
            {
                trigger: ".o_form_view .o_field_widget[name='plan_id']:contains('Test Home 20')",
            },
            {
                content: "Back to the order",
                trigger: ".o_breadcrumb .breadcrumb-item a:contains('INST/')",
                run: "click",
            },
            {
                content: "Complete the installation",
                trigger: ".o_form_view button:contains('Installation Done')",
                run: "click",
            },
            {
                trigger: ".modal .o_field_widget[name='device_name'] input",
                run: "edit LiteBeam 5AC",
            },
            {
                trigger: ".modal .o_field_widget[name='serial_number'] input",
                run: "edit SN-TOUR-0001",
            },
            {
                trigger: ".modal .o_field_widget[name='mac_address'] input",
                run: "edit 02:11:22:33:44:55",
            },
            {
                trigger: ".modal .o_field_widget[name='report'] textarea",
                run: "edit Aligned at -52 dBm",
            },
            {
                content: "Confirm",
                trigger: ".modal button[name='action_complete']",
                run: "click",
            },
            {
                content: "The order is done",
                trigger:
                    ".o_form_view:not(:has(.modal)) .o_statusbar_status .o_arrow_button_current:contains('Done')",
            },
        ]),
});

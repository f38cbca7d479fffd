import { registry } from "@web/core/registry";

// The map without a network (the test browser answers 404 to unpkg.com): the list of
// sites and subscribers, then a subscriber's header and its Reactivate quick action.
registry.category("web_tour.tours").add("wisp_subscriber_map_header", {
    url: "/odoo/action-wisp_subscriber.wisp_map_action",
    steps: () => [
        {
            content: "Leaflet could not load: the points are listed",
            trigger: ".o_wisp_map_list .alert-info",
        },
        {
            content: "The site is listed with its coverage radius",
            trigger: ".o_wisp_map_sites tr:contains('Tour Tower'):contains('4')",
        },
        {
            content: "Open the suspended subscriber",
            trigger: ".o_wisp_map_subscribers tr:contains('Tour Subscriber'):contains('Suspended')",
            run: "click",
        },
        {
            content: "The header rolls its services up",
            trigger: ".o_wisp_subscriber_summary:contains('1 Suspended'):contains('1 Active')",
        },
        {
            content: "The street is in the header",
            trigger: ".o_wisp_subscriber_summary:contains('5 Tour Road')",
        },
        {
            content: "Reactivate from the header",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Reactivate')",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".modal .o_field_widget[name='reason'] input",
            run: "edit Paid at the counter",
        },
        {
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "Every service is active again",
            trigger: ".o_wisp_subscriber_summary:contains('2 Active'):not(:contains('Suspended'))",
        },
    ],
});

// The office plans an installation from the proposals, then finds it on the calendar.
registry.category("web_tour.tours").add("wisp_subscriber_installer_proposals", {
    steps: () => [
        {
            content: "Ask for proposals",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Propose Installers')",
            run: "click",
        },
        {
            content: "The nearest installer comes first",
            trigger: ".modal .o_data_row:first-child:contains('Tour Installer Near')",
        },
        {
            trigger: ".modal .o_data_row:first-child button[name='action_choose']",
            run: "click",
        },
        {
            content: "The order is scheduled for that installer",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_status .o_arrow_button_current:contains('Scheduled')",
        },
    ],
});

// With Leaflet loaded (a stand-in in the test browser): the map draws each site with
// its coverage circle and each service address coloured by status; a click opens it.
registry.category("web_tour.tours").add("wisp_subscriber_map_leaflet", {
    steps: () => [
        {
            content: "The map is drawn, not the list",
            trigger: ".o_wisp_map .o_wisp_map_canvas.leaflet-container",
        },
        {
            content: "The site's coverage circle, 4 km",
            trigger: ".o_fake_leaflet_layer[data-kind='circle'][data-position='39.79,-89.64'][data-radius='4000']",
        },
        {
            content: "The suspended address in red",
            trigger: ".o_fake_leaflet_layer[data-kind='circleMarker'][data-position='39.8,-89.65'][data-color='#dc3545']",
        },
        {
            content: "Open its subscriber",
            trigger: ".o_fake_leaflet_layer[data-kind='circleMarker'][data-title*='Tour Subscriber']",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_wisp_subscriber_summary:contains('1 Suspended')",
        },
    ],
});

import { registry } from "@web/core/registry";

// Online now: the service card fetches the status after the dashboard is shown.
registry.category("web_tour.tours").add("wisp_portal_live_session", {
    url: "/my/services",
    steps: () => [
        {
            content: "The card shows the session read from the router",
            trigger: ".o_wisp_live .o_wisp_live_session[data-live-state='online']:contains('10.7.0.8')",
        },
    ],
});

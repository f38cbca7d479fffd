import { registry } from "@web/core/registry";

// A billing clerk on a subscriber: change its plan seeing the prorated figures first,
// then register the payment of its open invoice, all from the header.
registry.category("web_tour.tours").add("wisp_billing_subscriber_header", {
    steps: () => [
        {
            content: "The header shows what is due",
            trigger: ".o_wisp_subscriber_summary:contains('Balance Due'):contains('Next Bill')",
        },
        {
            content: "Change the plan from the header",
            trigger: ".o_form_view .o_statusbar_buttons button:contains('Change Plan')",
            run: "click",
        },
        {
            content: "The only running service is chosen",
            trigger: ".modal .o_field_widget[name='current_plan_id']:contains('Home 31')",
        },
        {
            trigger: ".modal .o_field_widget[name='plan_id'] input",
            run: "edit Home 62",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Home 62')",
            run: "click",
        },
        {
            content: "The prorated charge of the new plan is shown before applying",
            trigger: ".modal .o_field_widget[name='preview_charge']:not(:contains('0.00'))",
        },
        {
            trigger: ".modal button[name='action_apply']",
            run: "click",
        },
        {
            content: "Register the payment of the open invoice",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_buttons button:contains('Register Payment')",
            run: "click",
        },
        {
            trigger: ".modal button[name='action_create_payments']",
            run: "click",
        },
        {
            content: "Paid: nothing left to register",
            trigger: ".o_form_view:not(:has(.modal)) .o_statusbar_buttons:not(:contains('Register Payment'))",
        },
    ],
});

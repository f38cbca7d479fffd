import { registry } from "@web/core/registry";

/** Pay on Odoo's payment form with the demo provider (successful card). */
function payWithDemo({ saveCard = false } = {}) {
    const steps = [
        {
            content: "Choose the demo provider",
            trigger: "input[name='o_payment_radio'][data-provider-code='demo']",
            run: "click",
        },
        {
            content: "Enter the demo card number",
            trigger: "input[name='customer_input']",
            run: "edit 4242424242424242",
        },
    ];
    if (saveCard) {
        steps.push({
            content: "Save the card for later payments",
            trigger: "input[name='o_payment_tokenize_checkbox']",
            run: "check",
        });
    }
    steps.push({
        content: "Pay",
        trigger: "button[name='o_payment_submit_button']:enabled",
        run: "click",
        expectUnloadPage: true,
    });
    return steps;
}

function logIn(login) {
    return [
        { trigger: "input[name='login']", run: `edit ${login}` },
        { trigger: "input[name='password']", run: `edit ${login}` },
        {
            content: "Log in",
            trigger: "form.oe_login_form button[type='submit']",
            run: "click",
            expectUnloadPage: true,
        },
    ];
}

// Prepaid hotspot: buy a code by card, then redeem it on the hotspot page -> credentials
// and the one-click login form to the router.
registry.category("web_tour.tours").add("wisp_portal_hotspot", {
    url: "/hotspot?link-login-only=http://10.5.50.1/login&dst=http://example.com/",
    steps: () => [
        {
            content: "Choose a pass to buy",
            trigger: ".o_wisp_hotspot_buy:contains('Hotspot Day')",
            run: "click",
            expectUnloadPage: true,
        },
        { trigger: "#o_wisp_buy_name", run: "edit Walk-in Visitor" },
        { trigger: "#o_wisp_buy_email", run: "edit visitor@example.com" },
        {
            trigger: "#o_wisp_hotspot_buy_submit",
            run: "click",
            expectUnloadPage: true,
        },
        ...payWithDemo(),
        {
            content: "The code is shown once the payment is confirmed",
            trigger: "#o_wisp_purchase_code",
        },
        {
            trigger: "#o_wisp_purchase_redeem",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "The code comes filled in from the link", trigger: "#o_wisp_hotspot_code" },
        {
            trigger: "#o_wisp_hotspot_redeem_submit",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "Hotspot login shown", trigger: ".o_wisp_hotspot_login:contains('hs-')" },
        { content: "One click to the router", trigger: "#o_wisp_hotspot_router_submit" },
    ],
});

// Overdue: the router sends the suspended subscriber to the captive page, which says why and
// takes the payment; the status page then follows the router job restoring access.
registry.category("web_tour.tours").add("wisp_portal_overdue", {
    url: "/captive",
    steps: () => [
        { content: "Identified, access limited", trigger: "#o_wisp_captive[data-state='limited']" },
        { content: "Why", trigger: ".o_wisp_captive_reason:contains('overdue')" },
        { content: "How much", trigger: ".o_wisp_captive_amount:contains('30.00')" },
        ...payWithDemo(),
        {
            content: "Paid: access is being restored on the router",
            trigger: "#o_wisp_captive_status[data-status='restoring']",
        },
    ],
});

function goTo(url) {
    return {
        content: `Open ${url}`,
        trigger: "body",
        run: () => {
            window.location.href = url;
        },
        expectUnloadPage: true,
    };
}

// Residential: log in, pay the open invoice with a card saved for later, see the service
// active and the card among the saved payment methods.
registry.category("web_tour.tours").add("wisp_portal_residential", {
    url: "/web/login",
    steps: () => [
        ...logIn("alice"),
        {
            content: "Internet services tile on the portal home",
            trigger: ".o_portal_docs a[href='/my/services']",
            run: "click",
            expectUnloadPage: true,
        },
        { content: "Balance due shown", trigger: "#o_wisp_balance_due" },
        {
            content: "Pay the open invoice",
            trigger: "a.o_wisp_pay_link",
            run: "click",
            expectUnloadPage: true,
        },
        ...payWithDemo({ saveCard: true }),
        { content: "Invoice paid", trigger: ".badge:contains('Paid')" },
        goTo("/my/services"),
        {
            content: "The service is active",
            trigger: ".o_wisp_service_card[data-state='active'] .o_wisp_service_state",
        },
        { content: "Nothing left to pay", trigger: "body:not(:has(a.o_wisp_pay_link))" },
        {
            content: "Saved cards are Odoo's own page",
            trigger: "a.o_wisp_cards_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The card is saved",
            trigger: "[name='o_payment_option']:contains('4242')",
        },
        goTo("/my/services"),
        { content: "Autopay is off", trigger: "#o_wisp_autopay[data-enabled='0']" },
        {
            content: "The saved card is offered for autopay",
            trigger: "#o_wisp_autopay_token:has(option:contains('4242'))",
        },
        {
            content: "Turn autopay on",
            trigger: "#o_wisp_autopay_on",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Autopay is on with that card",
            trigger: "#o_wisp_autopay[data-enabled='1'] .o_wisp_autopay_card:contains('4242')",
        },
    ],
});

// Enterprise: one login sees every branch rolled up, then each service, and the single
// consolidated invoice with a section per address.
registry.category("web_tour.tours").add("wisp_portal_enterprise", {
    url: "/web/login?redirect=/my/services",
    steps: () => [
        ...logIn("carol"),
        { content: "Roll-up per address", trigger: "#o_wisp_enterprise_summary" },
        {
            content: "Both branches listed",
            trigger: ".o_wisp_address_row:contains('North Depot') ~ .o_wisp_address_row",
        },
        {
            content: "Per-service breakdown",
            trigger: "section:contains('South Yard') .o_wisp_service_card",
        },
        {
            trigger: "a.o_wisp_invoices_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the consolidated invoice",
            trigger: "a[href^='/my/invoices/']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "One invoice, a section per address",
            trigger: ":iframe body:contains('North Depot'):contains('South Yard')",
        },
    ],
});

// Plan change: compare the prorated prices, change now, see the new plan.
registry.category("web_tour.tours").add("wisp_portal_plan_change", {
    url: "/web/login?redirect=/my/services",
    steps: () => [
        ...logIn("alice"),
        {
            content: "Upgrade offer",
            trigger: ".o_wisp_upsell_plan:contains('Tour Fifty') a.o_wisp_change_plan_link",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The prorated price of changing now",
            trigger: ".o_wisp_plan_option:contains('Tour Fifty') .o_wisp_plan_preview_now .o_wisp_preview_net",
        },
        {
            trigger: ".o_wisp_plan_option:contains('Tour Fifty') input[name='plan_id']",
            run: "check",
        },
        { trigger: "#o_wisp_when_now", run: "check" },
        { trigger: "#o_wisp_plan_submit", run: "click", expectUnloadPage: true },
        { content: "Confirmed", trigger: "#o_wisp_service_message" },
        { content: "New plan in place", trigger: "#o_wisp_service:contains('Tour Fifty')" },
    ],
});

// Demo data as `bin/wisp run` serves it, without any setting: the demo subscriber's usage
// chart has a month of data and Pay now works with the demo provider.
registry.category("web_tour.tours").add("wisp_portal_demo_subscriber", {
    url: "/web/login?redirect=/my/services",
    steps: () => [
        ...logIn("subscriber"),
        {
            content: "The usage chart has data",
            trigger: ".o_wisp_service_card[data-state='active'] svg.o_wisp_usage_chart:not([aria-label='0.00 GB'])",
        },
        {
            content: "Pay the open invoice",
            trigger: "a.o_wisp_pay_link",
            run: "click",
            expectUnloadPage: true,
        },
        ...payWithDemo(),
        { content: "Invoice paid", trigger: ".badge:contains('Paid')" },
    ],
});

// Demo data: the subscriber suspended for an overdue invoice logs in, the captive page says
// why and takes the payment, and the service is restored (the demo routers provision
// nothing, so there is no router job to wait for).
registry.category("web_tour.tours").add("wisp_portal_demo_captive", {
    url: "/web/login?redirect=/captive",
    steps: () => [
        ...logIn("overdue"),
        { content: "Access limited", trigger: "#o_wisp_captive[data-state='limited']" },
        { content: "Why", trigger: ".o_wisp_captive_reason:contains('overdue')" },
        { content: "How much", trigger: ".o_wisp_captive_amount" },
        ...payWithDemo(),
        {
            content: "Paid: access restored",
            trigger: "#o_wisp_captive_status[data-status='restored']",
        },
    ],
});

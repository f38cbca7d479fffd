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

import { Interaction } from "@web/public/interaction";
import { registry } from "@web/core/registry";

/**
 * "Online now" on a service: fetched after the page is shown, so a router that is
 * slow to answer never delays the dashboard (the server caps the wait).
 */
export class WispLiveSession extends Interaction {
    static selector = ".o_wisp_live[data-live-url]";

    async willStart() {
        const response = await this.waitFor(
            fetch(this.el.dataset.liveUrl, { credentials: "same-origin" })
        );
        // the server's own rendering of the status (escaped QWeb)
        this.html = response.ok ? await this.waitFor(response.text()) : "";
    }

    start() {
        this.el.innerHTML = this.html;
    }
}

registry.category("public.interactions").add("wisp_portal.live_session", WispLiveSession);

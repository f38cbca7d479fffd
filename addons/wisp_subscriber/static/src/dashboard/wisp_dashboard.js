import { Component, onWillStart, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { formatInteger, formatMonetary } from "@web/views/fields/formatters";

/**
 * The WISP home dashboard: the sections ``wisp.dashboard.get_dashboard`` returns
 * (each addon adds its own), every figure and table row opening its records.
 */
export class WispDashboard extends Component {
    static template = "wisp_subscriber.WispDashboard";
    static components = { Layout };
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load());
    }

    get display() {
        return { controlPanel: {} };
    }

    async load() {
        this.state.data = await this.orm.call("wisp.dashboard", "get_dashboard", []);
    }

    format(item) {
        if (item.kind === "monetary") {
            return formatMonetary(item.value, { currencyId: this.state.data.currency_id });
        }
        return formatInteger(item.value);
    }

    open(item) {
        return this.actionService.doAction(item.action);
    }
}

registry.category("actions").add("wisp_dashboard", WispDashboard);

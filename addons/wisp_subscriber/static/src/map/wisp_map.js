/* global L */

import { Component, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { AssetsLoadingError, loadCSS, loadJS } from "@web/core/assets";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

// Loaded at runtime from the CDN, as Odoo's delivery addon does: never vendored.
const LEAFLET_URL = "https://unpkg.com/leaflet@1.9.4/dist";
const TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
// Marker colours per service status (most pressing status of the address).
const STATE_COLORS = {
    active: "#28a745",
    restricted: "#fd7e14",
    suspended: "#dc3545",
    paused: "#6c757d",
    installation: "#17a2b8",
    confirmed: "#17a2b8",
    draft: "#adb5bd",
};

/**
 * Sites and subscribers' service addresses on OpenStreetMap, coloured by
 * status. Without Leaflet (no network) the same points are shown as a list.
 */
export class WispMap extends Component {
    static template = "wisp_subscriber.WispMap";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.mapRef = useRef("map");
        this.state = useState({ sites: [], subscribers: [], legend: [], leaflet: false });
        this.stateColors = STATE_COLORS;

        onWillStart(async () => {
            const [points] = await Promise.all([
                this.orm.call("wisp.site", "get_map_points", []),
                this.loadLeaflet(),
            ]);
            Object.assign(this.state, points);
        });

        useEffect(
            () => {
                if (!this.state.leaflet || !this.mapRef.el) {
                    return;
                }
                const map = this.drawMap(this.mapRef.el);
                return () => map.remove();
            },
            () => [this.state.leaflet, this.state.sites, this.state.subscribers]
        );
    }

    async loadLeaflet() {
        try {
            await Promise.all([
                loadJS(`${LEAFLET_URL}/leaflet.js`),
                loadCSS(`${LEAFLET_URL}/leaflet.css`),
            ]);
            this.state.leaflet = true;
        } catch (error) {
            if (!(error instanceof AssetsLoadingError)) {
                throw error;
            }
        }
    }

    drawMap(el) {
        // one canvas for every marker: thousands of subscribers stay fluid
        const map = L.map(el, { preferCanvas: true });
        L.tileLayer(TILE_URL, {
            maxZoom: 19,
            attribution:
                "&copy; <a href='https://www.openstreetmap.org/copyright'>OpenStreetMap</a>",
        }).addTo(map);
        const bounds = [];
        for (const site of this.state.sites) {
            const position = [site.latitude, site.longitude];
            bounds.push(position);
            L.circle(position, {
                radius: site.coverage_radius_km * 1000,
                color: "#0d6efd",
                weight: 1,
                fillOpacity: 0.05,
            }).addTo(map);
            L.marker(position, { title: site.name })
                .bindTooltip(`${site.code} ${site.name}`)
                .addTo(map);
        }
        for (const point of this.state.subscribers) {
            const position = [point.latitude, point.longitude];
            bounds.push(position);
            const marker = L.circleMarker(position, {
                radius: 7,
                color: STATE_COLORS[point.state] || "#343a40",
                fillOpacity: 0.8,
            });
            const tooltip = document.createElement("div");
            tooltip.innerText = `${point.subscriber_name}\n${point.street} ${point.city}\n${point.state_label}`;
            marker.bindTooltip(tooltip);
            marker.on("click", () => this.openSubscriber(point.subscriber_id));
            marker.addTo(map);
        }
        if (bounds.length) {
            map.fitBounds(bounds, { padding: [30, 30], maxZoom: 15 });
        } else {
            map.setView([0, 0], 2);
        }
        return map;
    }

    openSubscriber(partnerId) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: partnerId,
            views: [[false, "form"]],
        });
    }
}

registry.category("actions").add("wisp_subscriber.map", WispMap);

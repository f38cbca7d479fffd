"""The shaping topology in LibreQoS's input format: ``ShapedDevices.csv`` and
``network.json`` (LibreQoS's ``src/ShapedDevices.example.csv`` and
``src/network.example.json`` give the columns and the node layout).

Pure rendering from plain values: the site model gathers them.
"""

import csv
import dataclasses
import io
import json
import math

SHAPED_DEVICES_COLUMNS = (
    "Circuit ID",
    "Circuit Name",
    "Device ID",
    "Device Name",
    "Parent Node",
    "MAC",
    "IPv4",
    "IPv6",
    "Download Min Mbps",
    "Upload Min Mbps",
    "Download Max Mbps",
    "Upload Max Mbps",
    "Comment",
    "sqm",
)
# The guaranteed rate as a share of the plan's: LibreQoS's own integrations
# default to 0.98 (committed_bandwidth_multiplier).
COMMITTED_SHARE = 0.98
MIN_RATE_MBPS = 0.1  # LibreQoS refuses a minimum below this
MIN_MAX_RATE_MBPS = 0.2  # ...and a maximum below this


@dataclasses.dataclass(frozen=True)
class Circuit:
    circuit_id: str
    name: str
    device_id: str
    device_name: str
    site: str  # the site's node
    router: str  # the router's node, the circuit's parent
    mac: str
    ipv4: str
    download_kbps: int
    upload_kbps: int
    comment: str = ""
    ipv6: str = ""  # the delegated prefix (LibreQoS takes subnets)


def _mbps(kbps, floor):
    return max(round(kbps / 1000, 3), floor)


def _rates(circuit):
    down = _mbps(circuit.download_kbps, MIN_MAX_RATE_MBPS)
    up = _mbps(circuit.upload_kbps, MIN_MAX_RATE_MBPS)
    return (
        max(round(down * COMMITTED_SHARE, 3), MIN_RATE_MBPS),
        max(round(up * COMMITTED_SHARE, 3), MIN_RATE_MBPS),
        down,
        up,
    )


def shaped_devices_csv(circuits):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SHAPED_DEVICES_COLUMNS)
    for circuit in circuits:
        writer.writerow(
            [
                circuit.circuit_id,
                circuit.name,
                circuit.device_id,
                circuit.device_name,
                circuit.router,
                circuit.mac,
                circuit.ipv4,
                circuit.ipv6,
                *_rates(circuit),
                circuit.comment,
                "",
            ]
        )
    return out.getvalue()


def network_json(circuits):
    """Sites holding their routers; a node's bandwidth is the sum of its circuits'
    maximum rates (whole Mbps, rounded up), so it shapes no tighter than they do."""
    tree = {}
    for circuit in circuits:
        down, up = _rates(circuit)[2:]
        site = tree.setdefault(circuit.site, {"down": 0, "up": 0, "type": "Site", "children": {}})
        router = site["children"].setdefault(circuit.router, {"down": 0, "up": 0, "type": "Site"})
        for node in (site, router):
            node["down"] += down
            node["up"] += up

    def node(values):
        result = {
            "downloadBandwidthMbps": math.ceil(values["down"]),
            "uploadBandwidthMbps": math.ceil(values["up"]),
            "type": values["type"],
        }
        if "children" in values:
            result["children"] = {name: node(child) for name, child in values["children"].items()}
        return result

    return json.dumps({name: node(site) for name, site in tree.items()}, indent=2) + "\n"

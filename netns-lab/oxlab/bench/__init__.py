"""`oxlab bench`: raw veth, OxTunnel and wireguard-go measured side by side in one run."""

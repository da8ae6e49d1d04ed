"""Small programs the lab runs inside namespaces (`python -m oxlab.tools.<name>`): servers and probes."""

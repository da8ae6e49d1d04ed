"""The ``legacy`` profile: the Rust Oxidize dialect (``legacy-dialect.md``), to characterise that server."""

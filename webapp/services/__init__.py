"""The service layer: rules, queries and audit, shared by the HTML pages, the API and the CLI."""

"""Legacy plugins per project (SPEC §4.4, §7.3). Import from the modules:

- `predicates`: what "configured" and "enabled" mean in SQL (twins of the catalog's rules);
- `lists`: which plugins, and each plugin's project list (the configs page, its CSV, the API);
- `table`: one plugin over all active projects (the plugin page's table and counts);
- `settings`: one plugin on one project (settings, enable/disable, history, audit).

Who may call what is the caller's business (pages check capabilities, the API likewise);
these functions take plain values and raise domain errors.
"""

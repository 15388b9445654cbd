"""Demo data for `flask --app webapp seed-demo` (SPEC §9): two orgs, every status, every role.

`values` holds the realistic names, accounts and logos, `bulk` the fast inserts, `seeding`
the order in which the tables are filled.
"""

from webapp.commands.demo.seeding import DemoAlreadySeeded, database_has_users, seed_demo
from webapp.commands.demo.values import logo_png

__all__ = ["DemoAlreadySeeded", "database_has_users", "logo_png", "seed_demo"]

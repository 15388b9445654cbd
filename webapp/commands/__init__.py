"""CLI commands by area; registered by webapp.cli."""

"""Blueprints: one package per area (views, forms)."""

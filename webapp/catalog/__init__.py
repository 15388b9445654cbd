"""Code-defined registries: providers, plugins, features."""

"""PA Desk: the application core (domain rules, store, services). Never imports Qt."""

__version__ = "0.1.0"

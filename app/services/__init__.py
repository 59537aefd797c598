"""Use cases: one function or class per thing a user does. The GUI's only door to the data."""

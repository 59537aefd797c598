"""Payments: the receipt (on screen, printed, as a PDF and by e-mail)."""

"""The opened account: guarantor, balance figures, patients and coverage."""

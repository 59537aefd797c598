"""The live call: call bar, hold timer, verification, wrap-up, scripts beside the call."""

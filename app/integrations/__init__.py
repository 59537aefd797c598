"""Talking to the outside: X12 files (835 remittances, 270/271 eligibility), later
payment gateways and CTI. Depends on the domain only."""

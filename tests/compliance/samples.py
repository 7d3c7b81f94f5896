"""Sensitive data samples shared by the compliance tests."""

# One of each kind, with the digits that must never be stored.
PII = [
    ("ssn", "for the pre-approval my SSN is 123-45-6789", ["123-45-6789", "45-6789"]),
    ("ssn", "mi seguro social es 123456789", ["123456789"]),
    ("card_number", "use my card 4111 1111 1111 1111 for the deposit", ["4111 1111", "1111 1111"]),
    ("card_security_code", "card 5555555555554444 cvv 737", ["5555555555554444", "cvv 737"]),
    ("bank_account", "my account number is 000123456789", ["000123456789"]),
    ("routing_number", "routing 021000021 for the wire", ["021000021"]),
    ("date_of_birth", "DOB 04/12/1979, SSN 321-54-9876", ["04/12/1979", "321-54-9876"]),
]

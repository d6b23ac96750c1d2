from invoice_parser import parse_totals


def test_parse_totals_strips_headers():
    rows = [{"Invoice": "INV-1", " Total": " 10.00"}]
    assert parse_totals(rows) == [("INV-1", 10)]

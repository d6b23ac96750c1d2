"""Read invoice exports (CSV) and print the total of each invoice and of the month."""

import csv
import sys
from decimal import Decimal


def read_rows(path):
    """Rows of an invoice export as dictionaries keyed by the header."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def money(text):
    """A money amount as a Decimal ('1,204.50' -> Decimal('1204.50'))."""
    return Decimal(text.replace(",", "").strip() or "0")


def customer_names(rows):
    """The customers of an export, in the order they first appear."""
    seen = []
    for row in rows:
        name = row.get("Customer", "").strip()
        if name and name not in seen:
            seen.append(name)
    return seen


def format_table(totals):
    """A plain-text table of (invoice, amount) pairs."""
    width = max((len(number) for number, _ in totals), default=7)
    lines = [f"{'invoice':<{width}}  amount"]
    lines += [f"{number:<{width}}  {amount:>10.2f}" for number, amount in totals]
    return "\n".join(lines)


def parse_totals(rows):
    """(invoice number, total) for every row of an export."""
    totals = []
    # The export names its columns as the accounting system wrote them.
    for row in rows:
        totals.append((row["Invoice"], money(row["total"])))
    return totals


def main(argv):
    rows = read_rows(argv[1])
    totals = parse_totals(rows)
    print(format_table(totals))
    print(f"month total: {sum(amount for _, amount in totals):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Splitting one price over several lines, as a bundle's price is split over its services.

Each line gets ``total x its weight / sum of weights`` (IFRS 15's relative standalone
selling price: a line's weight is its standalone price), rounded to the currency;
the rounding remainder goes to the line of the largest weight, so the shares add up
to ``total`` exactly.
"""


def allocate(total, weights, rounding):
    """Shares of ``total`` in proportion to ``weights`` (same order), each rounded by
    ``rounding`` (the currency's ``round``); they sum to ``rounding(total)``. Equal
    shares when every weight is 0."""
    if not weights:
        return []
    whole = sum(weights)
    if whole:
        shares = [rounding(total * weight / whole) for weight in weights]
    else:
        shares = [rounding(total / len(weights)) for _weight in weights]
    largest = max(range(len(weights)), key=lambda i: weights[i])
    shares[largest] = rounding(rounding(total) - sum(shares) + shares[largest])
    return shares

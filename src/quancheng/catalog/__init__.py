"""The government data resource catalog: entries, codes, classification, versions, search."""

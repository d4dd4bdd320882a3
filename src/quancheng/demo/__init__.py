"""The synthetic demo city of Jinan (济南)."""

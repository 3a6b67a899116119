"""Measuring tools: command builders and output parsers, independent of the target that runs them."""

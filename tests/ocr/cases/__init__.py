"""Regression corpus of crops (see README.md)."""

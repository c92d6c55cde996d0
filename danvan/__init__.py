"""Dân Vận: a platform for commune outreach staff to hear citizens and answer them."""

__version__ = "0.1.0"

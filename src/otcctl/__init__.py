"""otcctl: the OTC trading system's operations manual as runbooks that run, judge and record."""

__version__ = "0.1.0"

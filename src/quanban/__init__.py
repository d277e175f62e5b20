"""全办 Quanban — an open-source government-services platform."""

__version__ = "0.1.0"

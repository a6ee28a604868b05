"""Layers with parameters, containers and loss modules. Import as ``glassnet.nn``."""

from glassnet.nn.module import Module, Parameter

__all__ = ["Module", "Parameter"]

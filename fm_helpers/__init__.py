"""fm_helpers: the numerical core of the flow matching textbook.

Modules, in the order the chapters meet them (each imports only those before it):
schedules -> paths -> data -> marginal -> continuity -> ode -> symbolic -> figures -> interactive.
"""

from . import continuity, data, marginal, ode, paths, schedules, symbolic

__all__ = ["schedules", "paths", "data", "marginal", "continuity", "ode", "symbolic"]
__version__ = "0.1.0"

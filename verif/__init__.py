"""fp8kit verification: cocotb testbenches (``verif/<module>/tb_<module>.py``) and their shared helpers.

The layer above :mod:`fp8kit` (docs/architecture.md): it imports ``refmodel`` and ``fp8kit``, and
nothing below imports it; the pytest entry points live in ``tests/rtl/``.
"""

from refmodel import _moved

_moved.install()

"""fp8kit verification: cocotb testbenches (``verif/<module>/tb_<module>.py``) and their shared helpers.

Nothing here is imported by ``refmodel``; the pytest entry points live in ``tests/rtl/``.
"""

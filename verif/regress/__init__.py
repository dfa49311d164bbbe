"""``fp8kit regress``: the cocotb regression over modules x formats x accumulators x rounding modes."""

"""Numerical studies run by ``fp8kit study`` on the GEMM model (the sr study is :mod:`fp8kit.study`)."""

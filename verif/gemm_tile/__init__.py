"""The gemm_tile bench: whole GEMMs through rtl/gemm_tile.v against refmodel.gemm (:mod:`.jobs`, ``tb_gemm_tile``)."""

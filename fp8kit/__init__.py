"""fp8kit's tooling: everything that knows the repository's ``rtl/`` and ``docs/`` or runs an external tool.

The layer between the embeddable golden model (:mod:`refmodel`, below) and the simulation suite
(:mod:`verif`, above); the command line (:mod:`fp8kit.cli`) sits on top of both and imports ``verif``
only inside the commands that need it (docs/architecture.md, tests/test_layers.py).

- :mod:`fp8kit.paths`: where the RTL and the docs are (a checkout, or the installed copy).
- :mod:`fp8kit.procs`: external tools: one ``ToolMissing`` error, process-group runs with timeouts.
- :mod:`fp8kit.userpaths`: checked reads and writes of the user's files.
- :mod:`fp8kit.rtlspec.params`: RTL parameter sets and the generated Verilog definitions.
- :mod:`fp8kit.vectors`: test-vector files for the RTL.
- :mod:`fp8kit.cost`: the area and energy model, its calibration and Yosys synthesis.
- :mod:`fp8kit.docgen`, :mod:`fp8kit.study`: generated docs sections, accuracy studies.
"""

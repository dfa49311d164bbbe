"""``fp8kit mutate``: mutation testing of the RTL against the quick regression.

A mutant is ``rtl/`` with one small, deliberate fault in one file. The generic operators rewrite
one token of the logic:

=========== ==============================================================================
operator    rewrite
=========== ==============================================================================
``arith``   binary ``+`` <-> ``-``
``logic``   ``&`` <-> ``|`` (binary and reduction), ``^`` -> ``|``, ``&&`` <-> ``||``
``cmp``     ``==`` <-> ``!=``, ``<`` <-> ``<=``, ``>`` <-> ``>=``
``shift``   ``<<`` <-> ``>>``
``not``     a unary ``~`` or ``!`` dropped (``~|`` becomes ``|``)
``const``   an integer literal +1 and -1 (sized and unsized; the width is kept, the value stays
            within it)
=========== ==============================================================================

Only the logic is rewritten: never comments, strings, compiler directives (`` `include`` and
the like), the ```ifndef SYNTHESIS`` parameter checks, the module header (parameter defaults and
ports), a width (a declared range, a replication count, the width of a ``+:`` part select, a
literal's size) or a function (compile-time helpers such as ``clog2``). The named mutants of
:data:`TARGETED` add the faults a generic operator cannot express or may miss in the sample:
dropped sticky bits, inverted tie rules, a swapped LFSR tap, off-by-one stochastic rounding, and
every bit of every flag output stuck at 0 and at 1 (DZ stuck at 0 is left out: DZ is always 0).

For each mutant, :func:`mutate` copies ``rtl/`` to a scratch directory, applies it, compiles every
toplevel and parameter set of the affected cases with ``iverilog -g2005`` (a mutant that does not
compile, or whose elaboration does not end within the timeout, is *stillborn* and not scored),
then runs the quick regression cases whose sources include the mutated file
(``verif.common.MANIFEST``: an ``fp8_fma.v`` or ``lfsr32.v`` mutant also runs the ``fp8_mac``
cases; a top of :data:`OWN_CASES_ONLY`, ``gemm_tile``, runs only for its own mutants), the toplevel's
own cases first, spread over configurations. The first failing case kills it; a case that runs past
the timeout kills it too (status *timeout*); a mutant that passes every case *survived*. Mutants
listed in :data:`EQUIVALENT` (shown to behave identically for every input, docs/verification.md),
and by :func:`equivalent_reason`'s rule those that change only a lint sink (an ``unused_*`` wire
nothing reads), are not simulated and not scored; *error* (the worker died without a verdict) is
not scored either. The mutation score is killed / (killed + survived), timeouts counted as killed.

The unmutated copy runs the same cases first; if it fails any, nothing is scored (exit 2).

The package, one piece per module: :mod:`~verif.mutate.mutant` (:class:`Mutant`, one fault),
:mod:`~verif.mutate.mask` (what of a file may be mutated), :mod:`~verif.mutate.operators` (the
generic mutants), :mod:`~verif.mutate.catalogue` (the mutated modules, the named mutants, the
equivalents, the sample of a run), :mod:`~verif.mutate.runner` (the cases of a mutant, compiling,
the worker processes, :func:`mutate`) and :mod:`~verif.mutate.report` (the statuses, the score,
``mutants.json``, the tables).
"""

from __future__ import annotations

from verif.mutate.catalogue import (DEFAULT_MAX_PER_MODULE, EQUIVALENT, MODULES, OWN_CASES_ONLY, RTL, TARGETED,
                                    equivalent_reason, generate, targeted_mutants)
from verif.mutate.mask import mutable_mask
from verif.mutate.mutant import Mutant
from verif.mutate.operators import operator_mutants
from verif.mutate.report import STATUSES
from verif.mutate.runner import MutateOptions, Outcome, affected_cases, compile_check, mutate, run_cases

__all__ = [
    "DEFAULT_MAX_PER_MODULE",
    "EQUIVALENT",
    "MODULES",
    "OWN_CASES_ONLY",
    "RTL",
    "STATUSES",
    "TARGETED",
    "Mutant",
    "MutateOptions",
    "Outcome",
    "affected_cases",
    "compile_check",
    "equivalent_reason",
    "generate",
    "mutable_mask",
    "mutate",
    "operator_mutants",
    "run_cases",
    "targeted_mutants",
]

"""The counting engine: each aten op a forward (or a training step) runs, mapped to pure shape formulas.

``tracer.py`` records the ops under a ``TorchDispatchMode``; ``rule_table.py`` holds the table, filled by ``rules.py``,
``pointwise_rules.py``, ``fused_rules.py`` and ``backward_rules.py``; ``formulas.py`` is the arithmetic;
``aggregate.py`` rolls the records up the module tree. The engine never imports ``zoo/`` or ``blocks/``.
"""

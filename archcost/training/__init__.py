"""One training step counted on the meta device: forward, loss, backward and optimizer step, layer by layer.

``step.py`` traces the step (``counting/backward_rules.py`` costs the backward's aten ops), ``optimizers.py`` names the
optimizers, ``result.py`` turns the trace into an :class:`archcost.result.Analysis` with training columns.
"""

"""One test per adapter of archcost/torch_compat.py: each calls the private torch API on the installed torch and
checks what archcost relies on, so a torch release that moves or changes one fails here by name. CI runs this file on
both torch versions it tests (.ci/run)."""

from __future__ import annotations

import torch

from archcost import torch_compat


def test_dispatch_mode_sees_aten_ops() -> None:
    seen = []

    class Spy(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    with Spy():
        torch.ones(2, 3, device="meta").add(1)
    assert "add" in seen


def test_disable_torch_dispatch_hides_ops_from_a_mode() -> None:
    seen = []

    class Spy(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func)
            return func(*args, **(kwargs or {}))

    x = torch.ones(2, device="meta")
    with Spy(), torch_compat.disable_torch_dispatch():
        x.mul(2)
    assert seen == []


def test_disable_torch_function_ignores_the_device_context() -> None:
    with torch.device("meta"):
        with torch_compat.disable_torch_function():
            plain = torch.empty(2)
        inside = torch.empty(2)
    assert plain.device.type == "cpu" and inside.is_meta


def test_is_view() -> None:
    x = torch.ones(4, 4, device="meta")
    assert torch_compat.is_view(x[1]) and torch_compat.is_view(x.t()) and not torch_compat.is_view(x)


def test_make_subclass_makes_a_parameter_of_the_tensor() -> None:
    data = torch.empty(3, 2, device="meta")
    p = torch_compat.make_subclass(torch.nn.Parameter, data, False)
    assert type(p) is torch.nn.Parameter and p.shape == (3, 2) and p.is_meta and not p.requires_grad


def test_sdpa_switches_round_trip() -> None:
    switches = torch_compat.sdpa_switches()
    assert len(switches) >= 2  # flash and memory-efficient exist in every torch archcost supports
    for getter, setter in switches:
        was = getter()
        try:
            setter(not was)
            assert getter() is (not was)
        finally:
            setter(was)
    math_was = torch_compat.math_sdpa_enabled()
    try:
        torch_compat.set_math_sdpa(not math_was)
        assert torch_compat.math_sdpa_enabled() is (not math_was)
    finally:
        torch_compat.set_math_sdpa(math_was)


def test_never_compiled_marks_the_wrapped_dispatch() -> None:
    class Mode(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))

    torch_compat.never_compiled(Mode)
    original = getattr(Mode.__dict__["__torch_dispatch__"], "__wrapped__", None)
    if original is not None:  # the torch versions CI tests wrap it; the mark must then be set
        assert getattr(original, "__dynamo_disable") is original
    with Mode():
        assert torch.ones(1, device="meta").add(1).is_meta


def test_every_archcost_dispatch_mode_is_marked_never_compiled() -> None:
    """An unmarked mode imports torch._dynamo on its first op (about 2.7 s here) and pays dynamo's wrapper on every
    op after it; the training step's tracer once was one."""
    import importlib
    import pkgutil

    import archcost

    for info in pkgutil.walk_packages(archcost.__path__, "archcost."):
        if not info.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(info.name)
    modes, stack = [], [torch_compat.TorchDispatchMode]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("archcost.") and "__torch_dispatch__" in sub.__dict__:
                modes.append(sub)
    assert {m.__name__ for m in modes} >= {"Tracer", "TrainTracer", "_LargestOutput"}
    for mode in modes:
        original = getattr(mode.__dict__["__torch_dispatch__"], "__wrapped__", None)
        if original is not None:
            assert getattr(original, "__dynamo_disable", None) is original, f"{mode.__module__}.{mode.__name__}"


def test_storage_key_is_shared_by_views_and_tells_meta_storages_apart() -> None:
    x, y = torch.ones(4, 4, device="meta"), torch.ones(4, 4, device="meta")
    assert x.untyped_storage().data_ptr() == y.untyped_storage().data_ptr()  # why data_ptr cannot be the key
    assert torch_compat.storage_key(x) == torch_compat.storage_key(x[1]) == torch_compat.storage_key(x.t())
    assert torch_compat.storage_key(x) != torch_compat.storage_key(y)
    assert isinstance(torch_compat.storage_key(x), int)


def test_argument_schema_names_the_written_arguments() -> None:
    def written(func):
        return [(i, a.name) for i, a in enumerate(torch_compat.argument_schema(func))
                if a.alias_info is not None and a.alias_info.is_write]

    assert written(torch.ops.aten.add_.Tensor) == [(0, "self")]
    assert written(torch.ops.aten.add.Tensor) == []
    assert written(torch.ops.aten.add.out) == [(3, "out")]


def test_reparametrized_swaps_tied_weights_and_puts_them_back_when_the_body_raises() -> None:
    model = torch.nn.Sequential(torch.nn.Linear(3, 3, device="meta"), torch.nn.Linear(3, 3, device="meta"))
    model[1].weight = model[0].weight  # tied: one tensor, two names
    original, bias = model[0].weight, model[1].bias
    stand_in = torch.empty(3, 3, device="meta", requires_grad=True)
    try:
        with torch_compat.reparametrized(model, {"0.weight": stand_in}, tie_weights=True):
            assert model[0].weight is stand_in and model[1].weight is stand_in and model[1].bias is bias
            raise RuntimeError("body failed")
    except RuntimeError:
        pass
    assert model[0].weight is original and model[1].weight is original and type(original) is torch.nn.Parameter


def test_incompatible_keys_is_what_load_state_dict_returns() -> None:
    model = torch.nn.Linear(2, 2)
    returned = model.load_state_dict(model.state_dict())
    made = torch_compat.incompatible_keys([], [])
    assert type(made) is type(returned) and made == returned
    assert made.missing_keys == [] and made.unexpected_keys == [] and str(made) == "<All keys matched successfully>"


def test_module_tables_hold_what_archcost_reads_in_place() -> None:
    # Hot paths read these straight from a module's __dict__ (see torch_compat's docstring).
    model = torch.nn.BatchNorm2d(4, device="meta")
    model.register_parameter("absent", None)
    model.register_buffer("scratch", torch.empty(2, device="meta"), persistent=False)
    parameters, buffers, modules = (model.__dict__[name] for name in torch_compat.MODULE_TABLES)
    assert type(parameters) is dict and type(buffers) is dict and type(modules) is dict
    assert list(parameters) == ["weight", "bias", "absent"] and parameters["absent"] is None
    assert [n for n, _ in model.named_parameters(recurse=False)] == ["weight", "bias"]
    assert list(buffers) == ["running_mean", "running_var", "num_batches_tracked", "scratch"]
    assert model.__dict__["_non_persistent_buffers_set"] == {"scratch"} and "scratch" not in model.state_dict()
    outer = torch.nn.Sequential(model)
    assert outer.__dict__["_modules"] == {"0": model}


def test_current_autograd_node_names_the_node_running_an_op() -> None:
    seen = []

    class Spy(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append((func.overloadpacket.__name__, type(torch_compat.current_autograd_node()).__name__))
            return func(*args, **(kwargs or {}))

    x = torch.ones(3, device="meta", requires_grad=True)
    y = (x * 2).relu()
    assert torch_compat.current_autograd_node() is None
    with Spy():
        (y + y).sum().backward()
    assert ("threshold_backward", "ReluBackward0") in seen
    # The gradient of y, used twice, is summed while the node that made its second part is current.
    assert ("add", "AddBackward0") in seen
    assert seen[0][1] == "NoneType"  # the loss's first ops run before any node


def test_set_version_puts_back_the_counter_a_graph_checks() -> None:
    weight = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0]))
    loss = (weight * weight).sum()  # mul saves weight at version 0
    with torch.no_grad():
        weight.mul_(2)
        weight.div_(2)
    assert torch_compat.version(weight) == 2
    view = weight[1:]
    torch_compat.set_version(weight, 0)
    assert torch_compat.version(weight) == 0 == torch_compat.version(view)  # one counter for a storage's views
    loss.backward()
    assert weight.grad is not None and weight.grad.tolist() == [2.0, 4.0, 6.0]


def test_fused_recurrent_switches_turn_onednn_off_and_back() -> None:
    was = torch_compat.fused_recurrent_kernels()
    try:
        torch_compat.set_fused_recurrent_kernels(False, False)
        assert torch_compat.fused_recurrent_kernels() == (False, False)
        assert torch.backends.mkldnn.enabled is False and torch.backends.cudnn.enabled is False  # the public view
    finally:
        torch_compat.set_fused_recurrent_kernels(*was)
    assert torch_compat.fused_recurrent_kernels() == was


def test_python_dispatcher_runs_the_python_decomposition_of_lstm() -> None:
    # Under the Python dispatcher aten.lstm's CompositeImplicit kernel is torch's Python decomposition: an LSTM on CPU
    # with oneDNN off then runs one addmm per step and gate (no mkldnn_rnn_layer), as it does on meta.
    seen: list[str] = []

    class Spy(torch_compat.TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            seen.append(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    lstm = torch.nn.LSTM(4, 3)
    was = torch_compat.fused_recurrent_kernels()
    try:
        torch_compat.set_fused_recurrent_kernels(False, False)
        with torch_compat.python_dispatcher(), Spy():
            lstm(torch.randn(5, 1, 4))
    finally:
        torch_compat.set_fused_recurrent_kernels(*was)
    assert "mkldnn_rnn_layer" not in seen and seen.count("addmm") + seen.count("mm") >= 5

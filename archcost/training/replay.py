"""Replay of repeated blocks in a training step: a block seen before is not run, forward or backward.

Inference replays a block by copying its forward ops (counting/replay.py). A training step also runs the block's
backward, which autograd drives from the graph the forward built, so a replayed block stands in the graph as one
node (replay_state.StandIn, a ``torch.autograd.Function``) that keeps what the real block would keep alive and, in the
backward, hands its inputs gradients with their metadata. The backward ops of the block are copied from the
recorded block's, once the whole backward has run: a ResNet stage's recorded block is its first, whose backward runs
after those of the blocks that copy it.

Soundness is checked, not assumed. On meta a block's backward is a function of what its forward saved (fixed by the
forward's key and its inputs' metadata), of which inputs need a gradient (in the key here) and of the metadata of
the gradient reaching its output. What a copy cannot see is checked against the recording, and any difference makes
the whole step run again with every block run (:class:`ReplayUnsound`, caught in training/engine.py):

- after the forward: every gradient edge into a block (its inputs, its parameters) comes from the block alone, so
  no gradient is summed with one from outside it (which would add ops a copy does not have);
- in the backward: the recorded block's nodes run as one stretch (its *region*, up to the next node outside it);
- after the backward: each copy got an output gradient with the recorded metadata, the gradients it handed out
  (inputs: like the input; parameters: like the parameter) have the recorded ones' metadata, and its region changed
  the live bytes by what the recorded region did.

Saved tensors (training memory) are replayed by storage: each storage a recorded block saved is its input's, its
output's or one it made, and a copy saves the same kinds again (tests/training/test_train_replay.py compares a
replayed step with a fully run one on every registry network).
"""

from __future__ import annotations

import itertools
import weakref
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import torch

from archcost.counting import replay as forward_replay
from archcost.counting.records import OpRecord
from archcost.torch_compat import disable_torch_dispatch, storage_key
from archcost.training.replay_state import (
    Recording,
    Region,
    Replay,
    StandIn,
    classify_saves,
    gradient_edge,
    meta_of,
    release_noter,
    tracked_bytes,
)

if TYPE_CHECKING:
    from archcost.training.step import TrainTracer

class ReplayUnsound(Exception):
    """A replay check failed: the step must be traced again, without copying ``blocks`` (all blocks when empty)."""

    def __init__(self, reason: str, blocks: tuple[int, ...] = ()) -> None:
        super().__init__(reason)
        self.blocks = blocks


class TrainReplayer(forward_replay.Replayer):
    """Wraps the forward of every repeated composite module of a training step; see the module docstring."""

    def __init__(self, tracer: TrainTracer, structure: Any, run_in_full: frozenset[int] = frozenset()) -> None:
        super().__init__(tracer, structure)
        self.run_in_full = run_in_full  # blocks a failed attempt showed must run (a different output gradient)
        self.tracer: TrainTracer = tracer
        self.train_recordings: dict[Any, Recording | None] = {}
        self.replays: list[Replay] = []
        self.recording_open = False
        self.owners: dict[int, Recording | Replay] = {}
        self.current: Recording | Replay | None = None
        self.failure: str | None = None
        self._fresh_keys = itertools.count(-1, -1)  # storage keys for a copy's own saved tensors: no address is < 0
        self.consumers: defaultdict[tuple[Any, int], list[Any]] = defaultdict(list)  # gradient edge -> nodes
        self.walked: set[Any] = set()  # the nodes whose edges are in ``consumers``

    def _fed_a_shared_input(self, args: tuple[Any, ...]) -> bool:
        """The block gets the very input of an enclosing call that is not a plain chain (nn.Sequential): that
        input most likely feeds a sibling too (an Inception's branches), so the block's input gradient would be
        summed with one from outside, which :meth:`verify` refuses after the forward. Such a block runs in full
        from the first attempt instead of costing one; a guess that only saves attempts (the checks stay)."""
        first = next((a for a in args if isinstance(a, torch.Tensor)), None)
        if first is None:
            return False
        tracer, sequential = self.tracer, torch.nn.Sequential.forward
        return any(tracer.call_inputs.get(i) == id(first) and type(tracer.modules[i]).forward is not sequential
                   for i in tracer.stack[:-1])  # the top is the block itself

    def wrap(self, index: int, original: Any) -> Any:
        key = self.structure.keys[index]
        size = self.structure.sizes[index]
        params = [p for m in self.tracer.modules[index:index + size] for p in m.parameters(recurse=False)]

        def forward(*args: Any, **kwargs: Any) -> Any:
            signature = forward_replay._signature(args, kwargs)
            if signature is None or kwargs or self.recording_open or index in self.run_in_full \
                    or any(p.grad is not None for p in params) or self._fed_a_shared_input(args):
                return original(*args, **kwargs)
            needs = tuple(a.requires_grad for a in args if isinstance(a, torch.Tensor))
            slot = (key, signature, needs, torch.is_grad_enabled())
            if slot not in self.train_recordings:
                return self._record_step(index, slot, original, args, params)
            recording = self.train_recordings[slot]
            if recording is not None and not recording.used and not self._only_inside(recording, args):
                self.train_recordings[slot] = recording = None
            if recording is None:
                return original(*args, **kwargs)
            return self._replay_step(index, recording, args, params)

        setattr(forward, forward_replay.REPLAY_WRAPPER, True)
        return forward

    # -- forward ------------------------------------------------------------------------------------------------
    def _record_step(self, index: int, slot: Any, original: Any, args: tuple[Any, ...],
                     params: list[torch.nn.Parameter]) -> Any:
        tracer, size = self.tracer, self.structure.sizes[index]
        flags_before = tracer.input_needs_grad[index + 1:index + size]
        before = forward_replay.begin(tracer, index, size)
        tracer.pack_log, tracer.allocation_log = [], set()
        released_at: dict[int, int] = {}
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        tracer.watched = {storage_key(t): release_noter(released_at, position, tracer)
                          for position, t in enumerate(tensors)}
        self.recording_open = True
        try:
            out = original(*args)
        finally:
            self.recording_open = False
            packs, allocated = tracer.pack_log, tracer.allocation_log
            tracer.pack_log, tracer.allocation_log, tracer.watched = None, None, {}
        recording, pure, live_delta = forward_replay.end(tracer, index, size, before, out, args)
        self.train_recordings[slot] = None
        if not pure or any(f is not None for f in flags_before):
            return out
        retained = live_delta - out.numel() * out.element_size()
        saved = classify_saves(packs, allocated, args, out, index)
        if retained < 0 or saved is None or (retained and not out.requires_grad):
            return out  # (alive without a graph to keep it: not a pure function of the inputs)
        flags = [(o, bool(f)) for o, f in enumerate(tracer.input_needs_grad[index + 1:index + size], start=1)
                 if f is not None]
        trainable = [p for p in params if p.requires_grad]
        kinds = {kind_which for kind_which, *_ in saved}
        rec = Recording(index, size, recording, retained, [(k, w, b, o) for (k, w), b, o in saved], flags,
                        tuple(sorted(w for k, w in kinds if k == "arg")), ("out", 0) in kinds,
                        [e for e in map(gradient_edge, [*tensors, *trainable]) if e is not None], trainable)
        rec.released_at = released_at
        rec.inputs = [weakref.ref(tensors[i]) for i in rec.saves_args]
        rec.input_bytes = [tracked_bytes(tensors[i]) for i in rec.saves_args]
        if out.requires_grad:
            rec.hooks.append(out.register_hook(lambda g: setattr(rec, "grad_output", meta_of(g))))
        for position, tensor in enumerate(tensors):
            if tensor.requires_grad:
                rec.hooks.append(tensor.register_hook(
                    lambda g, position=position: rec.arg_grads.__setitem__(position, meta_of(g))))
        self.train_recordings[slot] = rec
        return out

    def _replay_step(self, index: int, recording: Recording, args: tuple[Any, ...],
                     params: list[torch.nn.Parameter]) -> torch.Tensor:
        tracer = self.tracer
        recording.used = True
        start = len(tracer.trace.records)
        forward_replay.apply_forward(tracer, index, recording.forward)
        added = len(tracer.trace.records) - start
        tracer.phases.extend([tracer.phase] * added)
        tracer.weight_grad.extend([False] * added)
        for offset, flag in recording.input_grad:
            tracer.input_needs_grad[index + offset] = bool(tracer.input_needs_grad[index + offset]) or flag
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        trainable = [p for p in params if p.requires_grad]
        if not any(t.requires_grad for t in (*tensors, *trainable)):
            out = forward_replay.stand_in(recording.forward)  # no graph, no backward: the forward's copy is all
            tracer.track(out)
            return out
        ballast = None
        if recording.retained_bytes:
            with disable_torch_dispatch():
                ballast = torch.empty((recording.retained_bytes,), dtype=torch.uint8, device="meta")
            tracer.track(ballast)
        replay = Replay(index, recording, [meta_of(t) for t in tensors], tuple(t.requires_grad for t in tensors),
                        [], trainable, ballast)
        replay.inputs = [weakref.ref(tensors[i]) for i in recording.saves_args]
        tracer.packing = False  # what the stand-in keeps alive is saved below, as the recording's saves
        try:
            out = StandIn.apply(replay, self, *tensors, *trainable)
        finally:
            tracer.packing = True
        replay.node = out.grad_fn
        # The gradient edges into the stand-in, one per tensor input (None where none is needed).
        replay.edges = [(node, number) for node, number in replay.node.next_functions if node is not None]
        tracer.track(out)
        self._save_like(replay, tensors, out)
        self.replays.append(replay)
        return out

    def _save_like(self, replay: Replay, tensors: list[torch.Tensor], out: torch.Tensor) -> None:
        """Note the storages the recorded block saved, as this copy's: its inputs', its output's, new ones."""
        saved = self.tracer.saved
        fresh: dict[int, int] = {}
        for kind, which, nbytes, owner in replay.recording.packs:
            if kind == "arg":
                key, nbytes = storage_key(tensors[which]), tensors[which].untyped_storage().nbytes()
            elif kind == "out":
                key, nbytes = storage_key(out), out.untyped_storage().nbytes()
            else:
                key = fresh.setdefault(which, next(self._fresh_keys))
            if key not in saved.bytes_by_storage:
                saved.bytes_by_storage[key] = nbytes
                saved.owner[key] = replay.index + owner

    def _only_inside(self, recording: Recording, args: tuple[Any, ...]) -> bool:
        """Before a recording's first copy: no node made so far (all of the graph behind this call's inputs) takes
        a gradient edge into the recorded block from outside it. What this cannot see yet, :meth:`verify` does."""
        self._walk([a.grad_fn for a in args if isinstance(a, torch.Tensor)])
        tags = self.tracer.tags
        return all(recording.owns(tags.get(c, -1)) for e in recording.edges for c in self.consumers.get(e, ()))

    def _walk(self, roots: list[Any]) -> None:
        """Add to ``consumers`` the edges of every node behind ``roots`` not walked before."""
        stack, consumers, walked = [r for r in roots if r is not None], self.consumers, self.walked
        while stack:
            node = stack.pop()
            if node in walked:
                continue
            walked.add(node)
            for target, number in node.next_functions:
                if target is not None:
                    consumers[(target, number)].append(node)
                    stack.append(target)

    # -- between forward and backward ---------------------------------------------------------------------------
    def verify(self, loss: torch.Tensor, tags: dict[Any, int]) -> None:
        """Every gradient edge into a replayed or copied block comes from that block's own nodes alone."""
        if not self.replays:
            return
        self._walk([loss.grad_fn])  # now the whole graph: every node behind the loss
        consumers = self.consumers
        used = {id(r.recording): r.recording for r in self.replays}
        shared: set[int] = set()  # every failing block at once: one more attempt, not one per block
        for rec in used.values():
            if not all(rec.owns(tags.get(c, -1)) for e in rec.edges for c in consumers[e]):
                shared.update(self._same_key(rec.index))
            for j in range(rec.index, rec.index + rec.size):
                self.owners[j] = rec
        for replay in self.replays:
            if not all(c is replay.node for e in replay.edges for c in consumers[e]):
                shared.update(self._same_key(replay.index))
            if any(c.name().startswith("CatBackward") for c in consumers[(replay.node, 0)]):
                # Its output gradient will be a slice of the concatenation's, not laid out like the output: the
                # backward would stop at this copy (hand_out). Named now, with all the others, for one attempt.
                shared.add(replay.index)
            if replay.index in self.owners:
                raise ReplayUnsound("a copied block inside a recorded one")
            self.owners[replay.index] = replay
        if shared:
            raise ReplayUnsound("a block's input, parameter or output is also used outside it", tuple(sorted(shared)))

    # -- backward -----------------------------------------------------------------------------------------------
    def enter(self, module: int) -> None:
        """A node of ``module`` is about to run: close the open region if it is not this module's, open its own."""
        owner = self.owners.get(module)
        if owner is self.current:
            return
        if self.current is not None:
            self._close(self.current)
        if owner is None:
            return
        if owner.region is not None:
            self.failure = f"the backward of block {owner.index} ran in pieces"
            return
        tracer, trace = self.tracer, self.tracer.trace
        owner.region = Region(len(trace.records), tracer.live_bytes, trace.peak_live_bytes,
                              tracer.saved.largest_backward_output_bytes, Counter(trace.uncounted))
        trace.peak_live_bytes = tracer.live_bytes
        tracer.saved.largest_backward_output_bytes = 0
        if isinstance(owner, Recording):
            tracer.peak_log = owner.region.peaks
        self.current = owner

    def _close(self, owner: Recording | Replay) -> None:
        tracer, trace, region = self.tracer, self.tracer.trace, owner.region
        assert region is not None
        region.inner_peak_bytes = trace.peak_live_bytes - region.live_open
        trace.peak_live_bytes = max(region.peak_before, trace.peak_live_bytes)
        region.largest_output_bytes = tracer.saved.largest_backward_output_bytes
        tracer.saved.largest_backward_output_bytes = max(region.largest_before, region.largest_output_bytes)
        region.live_delta_bytes = tracer.live_bytes - region.live_open
        region.last_record = len(trace.records)
        region.uncounted = Counter(trace.uncounted) - region.uncounted_before
        region.records = [(r.module - owner.index, r, tracer.weight_grad[i], tracer.split_terms.get(i))
                          for i, r in enumerate(trace.records[region.first_record:], start=region.first_record)]
        region.freed = tuple(ref() is None for ref in owner.inputs)
        tracer.peak_log = None
        self.current = None

    def hand_out(self, replay: Replay, grad_output: torch.Tensor | None) -> list[torch.Tensor | None]:
        """The stand-in's backward: gradients for its inputs like the inputs (checked against the recording in
        :meth:`finish`); the live bytes the real block kept for its backward are let go."""
        tracer, trace = self.tracer, self.tracer.trace
        tracer.stack[-1] = replay.index  # the stand-in's node runs no op that would say so
        self.enter(replay.index)
        replay.ran, replay.grad_output = True, meta_of(grad_output)
        if replay.grad_output != replay.recording.forward.output:
            # A copy's recording gets its gradient from the next copy, which hands out one like its input: the
            # last block of a run (before a pooling, a wider stage) gets another. Stop now, run it in full.
            raise ReplayUnsound(f"block {replay.index}: another output gradient", (replay.index,))
        replay.ballast = None
        peak = trace.peak_live_bytes
        grads: list[torch.Tensor | None] = []
        for meta, need in zip(replay.arg_metas, replay.needs):
            if not need:
                grads.append(None)
                continue
            with disable_torch_dispatch():
                grad = torch.empty_strided(meta[0], meta[1], dtype=meta[2], device="meta")
            tracer.track(grad)
            grads.append(grad)
        with disable_torch_dispatch():  # as the real block's parameters get theirs (checked in finish())
            for p in replay.params:
                p.grad = torch.empty_strided(p.shape, p.stride(), dtype=p.dtype, device="meta")
                tracer.track(p.grad)
        trace.peak_live_bytes = peak  # the recorded region's peak is added in finish()
        return grads

    def finish(self) -> None:
        """After the backward: check each copy against its recording, then add the recorded backward ops."""
        if self.current is not None:
            self._close(self.current)
        if self.failure:
            raise ReplayUnsound(self.failure)
        for rec in {id(r.recording): r.recording for r in self.replays}.values():
            rec.param_grads = [meta_of(p.grad) for p in rec.params]
            for hook in rec.hooks:
                hook.remove()
        for replay in self.replays:
            self._check(replay)
        for replay in self.replays:
            self._emit(replay)

    def _check(self, replay: Replay) -> None:
        rec, region = replay.recording, replay.region
        if rec.region is None or region is None or not replay.ran:
            raise ReplayUnsound(f"block {replay.index} or its recording had no backward")
        handed = {i: m for i, (m, need) in enumerate(zip(replay.arg_metas, replay.needs)) if need}
        checks = [
            (replay.grad_output == rec.grad_output, "output gradient"),
            (handed == rec.arg_grads, "input gradients"),
            (rec.param_grads == [meta_of(p) for p in replay.params], "parameter gradients"),
            (region.last_record == region.first_record and not region.uncounted, "ops of its own"),
            (self._shifts(replay) is not None, "saved inputs"),
            (region.live_delta_bytes == rec.region.live_delta_bytes + sum(b for _, b in self._shifts(replay) or ()),
             "live bytes"),
        ]
        for ok, what in checks:
            if not ok:
                raise ReplayUnsound(f"block {replay.index}: {what} differ from the recording's",
                                    self._same_key(replay.index))

    def _same_key(self, index: int) -> tuple[int, ...]:
        """Every block with the structural key of ``index``: a check that failed for one copy of a block fails
        for its other copies (the same forward in the same context), so none of them is copied next time."""
        key = self.structure.keys[index]
        return tuple(i for i, k in enumerate(self.structure.keys) if k == key)

    @staticmethod
    def _shifts(replay: Replay) -> list[tuple[int, int]] | None:
        """Where the copy's live bytes part from the recording's: (op index, bytes) per saved input that one of the
        two freed in its region and the other did not (the block before it kept it, or not). None when that
        cannot be told (a view, or a release not seen in the recording's region)."""
        rec, recorded, region = replay.recording, replay.recording.region, replay.region
        assert recorded is not None and region is not None
        shifts = []
        for i, (theirs, ours) in enumerate(zip(recorded.freed, region.freed)):
            if theirs == ours:
                continue
            at, nbytes = rec.released_at.get(rec.saves_args[i]), rec.input_bytes[i]
            if at is None or nbytes == 0 or not recorded.first_record <= at <= recorded.last_record:
                return None
            shifts.append((at, nbytes if theirs else -nbytes))  # freed there and kept here: more live from then
        return shifts

    def _inner_peak(self, replay: Replay) -> int:
        """The recording's peak above its region's start, as it would be in the copy's place."""
        recorded, shifts = replay.recording.region, self._shifts(replay)
        assert recorded is not None and shifts is not None
        if not shifts:
            return recorded.inner_peak_bytes
        return max([0, *(live - recorded.live_open + sum(b for at, b in shifts if op >= at)
                         for op, live in recorded.peaks)])

    def _emit(self, replay: Replay) -> None:
        tracer, trace, recorded = self.tracer, self.tracer.trace, replay.recording.region
        assert recorded is not None and replay.region is not None
        for offset, record, weight, split in recorded.records:
            if split is not None:
                tracer.split_terms[len(trace.records)] = split
            trace.records.append(OpRecord(replay.index + offset, record.op, record.terms, record.bytes_in,
                                          record.bytes_out, record.shapes))
            tracer.phases.append(tracer.phase)
            tracer.weight_grad.append(weight)
        trace.uncounted.update(recorded.uncounted)
        trace.peak_live_bytes = max(trace.peak_live_bytes, replay.region.live_open + self._inner_peak(replay))
        saved = tracer.saved
        saved.largest_backward_output_bytes = max(saved.largest_backward_output_bytes, recorded.largest_output_bytes)

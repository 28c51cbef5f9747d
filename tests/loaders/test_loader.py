"""make_loader in one process: exact epochs over workers, orders, resume, bad samples, modes and errors."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest
import torch
import webdataset as wds

from loaders import Tokenizer, make_loader, normalize_on_device
from tests.loaders.helpers import add_member, caption, jpeg, sample_from_tokens, train_tokenizer, write_shards
from wit_pipeline.errors import WitError

SIZES = [9, 2, 13, 1, 6]


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shards")
    write_shards(root, SIZES)
    train_tokenizer(SIZES).save(root / "tokenizer.json")
    return root


@pytest.fixture(scope="module")
def tok(shards: Path) -> Tokenizer:
    return Tokenizer.load(shards / "tokenizer.json")


def words(tok: Tokenizer, batches) -> list[list[str]]:
    return [[sample_from_tokens(tok, row) for row in tokens] for _, tokens in batches]


def flat(batches_words: list[list[str]]) -> list[str]:
    return [w for batch in batches_words for w in batch]


@pytest.mark.parametrize("num_workers", [0, 3])
def test_epoch_reads_every_sample_once_and_reshuffles(shards: Path, tok: Tokenizer, num_workers: int) -> None:
    loader = make_loader(shards, batch_size=4, image_size=8, num_workers=num_workers, seed=5)
    epoch0 = words(tok, loader)
    epoch1 = words(tok, loader)  # a second pass is the next epoch
    assert len(epoch0) == len(epoch1) == loader.num_batches == len(loader) == 8
    assert loader.num_samples == sum(SIZES)
    everything = sorted(tok.decode(tok(caption(s, i))[0]).split()[-1] for s, n in enumerate(SIZES) for i in range(n))
    assert sorted(flat(epoch0)) == sorted(flat(epoch1)) == everything
    assert flat(epoch0) != flat(epoch1)
    again = make_loader(shards, batch_size=4, image_size=8, num_workers=num_workers, seed=5)
    assert words(tok, again) == epoch0
    again.set_epoch(1)
    assert words(tok, again) == epoch1
    other_seed = make_loader(shards, batch_size=4, image_size=8, num_workers=num_workers, seed=6)
    assert flat(words(tok, other_seed)) != flat(epoch0)


def test_eval_reads_in_shard_order_with_any_worker_count(shards: Path, tok: Tokenizer) -> None:
    eval_words = [flat(words(tok, make_loader(shards, 5, 8, train=False, num_workers=n))) for n in (0, 2)]
    in_order = [
        w for s, n in enumerate(SIZES) for w in [sample_from_tokens(tok, tok(caption(s, i))[0]) for i in range(n)]
    ]
    assert eval_words[0] == in_order
    assert sorted(eval_words[1]) == sorted(in_order)


@pytest.mark.parametrize("num_workers", [0, 3])
def test_resume_from_a_saved_position_yields_exactly_the_remaining_batches(shards: Path, num_workers: int) -> None:
    def fresh():
        return make_loader(shards, batch_size=3, image_size=8, num_workers=num_workers, seed=1, epoch=2)

    full = list(fresh())
    for consumed in (1, 4, len(full) - 1):
        first = fresh()
        iterator = iter(first)
        for _ in range(consumed):
            next(iterator)
        state = json.loads(json.dumps(first.state_dict()))
        assert state["epoch"] == 2 and state["batches"] == consumed
        resumed = fresh()
        resumed.load_state_dict(state)
        resumed.set_epoch(2)  # what a trainer's epoch loop does after restoring: keeps the position
        rest = list(resumed)
        assert len(rest) == len(full) - consumed
        for (images, tokens), (want_images, want_tokens) in zip(rest, full[consumed:]):
            assert torch.equal(tokens, want_tokens) and torch.equal(images, want_images)
        assert resumed.state_dict()["epoch"] == 3 and resumed.state_dict()["batches"] == 0


def test_breaking_out_continues_where_it_stopped(shards: Path) -> None:
    loader = make_loader(shards, batch_size=4, image_size=8, seed=3)
    full = [t for _, t in make_loader(shards, batch_size=4, image_size=8, seed=3)]
    got = []
    for _, tokens in loader:
        got.append(tokens)
        if len(got) == 3:
            break
    assert loader.state_dict()["batches"] == 3
    got += [t for _, t in loader]
    assert all(torch.equal(a, b) for a, b in zip(got, full)) and len(got) == len(full)


def test_state_from_another_configuration_is_refused(shards: Path) -> None:
    state = make_loader(shards, batch_size=4, image_size=8, seed=3).state_dict()
    with pytest.raises(WitError, match="batch_size=4"):
        make_loader(shards, batch_size=5, image_size=8, seed=3).load_state_dict(state)
    with pytest.raises(WitError, match="outside"):
        make_loader(shards, batch_size=4, image_size=8, seed=3).load_state_dict({**state, "batches": 99})


def test_uint8_output_normalises_on_device_to_the_float_output(shards: Path) -> None:
    (as_float, tokens), *_ = make_loader(shards, batch_size=4, image_size=8, seed=2)
    (as_uint8, tokens8), *_ = make_loader(shards, batch_size=4, image_size=8, seed=2, uint8=True)
    assert as_uint8.dtype == torch.uint8 and as_uint8.shape == (4, 3, 8, 8) and as_float.dtype == torch.float32
    assert torch.equal(tokens, tokens8) and torch.allclose(normalize_on_device(as_uint8), as_float, atol=1e-5)


def test_fewer_shards_than_workers_and_ranks(tmp_path: Path, tok: Tokenizer) -> None:
    write_shards(tmp_path, [7])
    seen, counts = [], set()
    for rank in range(3):
        loader = make_loader(tmp_path, 2, 8, tokenizer=tok, num_workers=3, rank=rank, world_size=3)
        batches = words(tok, loader)
        counts.add(len(batches))
        seen += flat(batches)
    assert counts == {2} and sorted(seen) == sorted(sample_from_tokens(tok, tok(caption(0, i))[0]) for i in range(7))


def test_resampled_epochs_have_a_fixed_number_of_full_batches(shards: Path, tok: Tokenizer) -> None:
    loader = make_loader(shards, batch_size=4, image_size=8, resampled=True, samples=50, num_workers=2, seed=1)
    batches = words(tok, loader)
    assert loader.num_batches == len(batches) == 13 and loader.num_samples == 52
    assert all(len(b) == 4 for b in batches)
    assert flat(words(tok, loader)) != flat(batches)
    default = make_loader(shards, batch_size=4, image_size=8, resampled=True)
    assert default.num_batches == 8


def corrupt_shards(root: Path) -> dict[str, int]:
    """Two shards with every kind of bad sample; sizes.json counts readable keys, plus one promised too many."""
    root.mkdir()
    with wds.TarWriter(str(root / "00000.tar")) as sink:
        sink.write({"__key__": "good0", "jpg": jpeg(20, 20, 0), "txt": caption(0, 0)})
        sink.write({"__key__": "corrupt", "jpg": b"\xff\xd8 not really a jpeg", "txt": caption(0, 1)})
        sink.write({"__key__": "noimage", "txt": caption(0, 2)})
        sink.write({"__key__": "nocaption", "jpg": jpeg(20, 20, 3)})
        sink.write({"__key__": "badutf8", "jpg": jpeg(20, 20, 4), "txt": b"caf\xe9"})
        sink.write({"__key__": "blank", "jpg": jpeg(20, 20, 5), "txt": "   "})
        sink.write({"__key__": "good6", "jpg": jpeg(20, 20, 6), "txt": caption(0, 6)})
    with tarfile.open(root / "00001.tar", "w") as tar:
        add_member(tar, "good7.jpg", jpeg(20, 20, 7))
        add_member(tar, "good7.txt", caption(0, 7).encode())
        add_member(tar, "../../escape.txt", b"x")
        add_member(tar, "link.jpg", kind=tarfile.SYMTYPE, link="/etc/passwd")
        add_member(tar, "good8.jpg", jpeg(20, 20, 8))
        add_member(tar, "good8.txt", caption(0, 8).encode())
    (root / "sizes.json").write_text(json.dumps({"00000.tar": 7, "00001.tar": 3}))
    return {
        "decode_error": 1,
        "missing_image": 1,
        "missing_caption": 2,
        "bad_caption": 1,
        "read_error": 0,
        "missing_sample": 1,
        "unsafe_member": 1,
        "non_regular_member": 1,
        "member_too_large": 0,
        "unlisted_sample": 0,
    }


@pytest.mark.parametrize("num_workers", [0, 2])
def test_bad_samples_are_counted_and_skipped_without_losing_batches(tmp_path: Path, tok: Tokenizer, num_workers: int):
    expected = corrupt_shards(tmp_path / "bad")
    loader = make_loader(tmp_path / "bad", 3, 8, tokenizer=tok, num_workers=num_workers)
    batches = words(tok, loader)
    assert len(batches) == loader.num_batches == 4
    good = [sample_from_tokens(tok, tok(caption(0, i))[0]) for i in (0, 6, 7, 8)]
    assert sorted(flat(batches)) == sorted(good)
    assert loader.skipped == expected  # the workers already read into epoch 1: not counted until delivered
    assert len(list(loader)) == 4 and loader.skipped == {k: 2 * v for k, v in expected.items()}


def test_a_strict_handler_makes_bad_samples_fatal(tmp_path: Path, tok: Tokenizer) -> None:
    corrupt_shards(tmp_path / "bad")
    loader = make_loader(tmp_path / "bad", 3, 8, tokenizer=tok, train=False, handler=wds.reraise_exception)
    with pytest.raises(Exception, match="decode_error"):
        list(loader)
    warned = make_loader(tmp_path / "bad", 3, 8, tokenizer=tok, handler=wds.warn_and_continue)
    with pytest.warns(UserWarning):
        assert len(list(warned)) == 4


def test_bad_arguments_are_user_errors(shards: Path, tmp_path: Path) -> None:
    with pytest.raises(WitError, match="only applies with resampled=True"):
        make_loader(shards, 4, 8, samples=10)
    with pytest.raises(WitError, match="batch_size"):
        make_loader(shards, 0, 8)
    with pytest.raises(WitError, match="rank"):
        make_loader(shards, 4, 8, rank=2, world_size=2)
    with pytest.raises(WitError, match="cannot fill one batch"):
        make_loader(shards, 16, 8, world_size=2, drop_last=True)
    with pytest.raises(WitError, match="decoder"):
        make_loader(shards, 4, 8, decoder="cv2")
    write_shards(tmp_path / "plain", [2])
    assert make_loader(tmp_path / "plain", 4, 8, tokenizer=shards / "tokenizer.json").num_batches == 1


def test_a_finished_epoch_saves_and_restores_as_the_next_epochs_start(shards: Path) -> None:
    loader = make_loader(shards, batch_size=8, image_size=8, seed=4)
    iterator = iter(loader)
    for _ in range(loader.num_batches):
        next(iterator)
    assert loader.state_dict()["epoch"] == 1 and loader.state_dict()["batches"] == 0
    restored = make_loader(shards, batch_size=8, image_size=8, seed=4)
    restored.load_state_dict({**loader.state_dict(), "epoch": 0, "batches": loader.num_batches})
    next_epoch = make_loader(shards, batch_size=8, image_size=8, seed=4, epoch=1)
    assert restored.epoch == 1
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(restored, next_epoch, strict=True))


class PidTokenizer(Tokenizer):
    """The shards' tokenizer, noting in a file the process id of each worker that calls it."""

    def __init__(self, base: Tokenizer, log: Path) -> None:
        self.__dict__.update(base.__dict__)
        self.log = log

    def __call__(self, texts):
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return super().__call__(texts)


def one_epoch_loaders(shards: Path, epochs: range, **kwargs) -> list:
    """Each epoch read by a loader of its own (workers started per epoch): the reference sequence."""
    return [b for e in epochs for b in make_loader(shards, epoch=e, **kwargs)]


@pytest.mark.parametrize("num_workers", [0, 3])
def test_workers_live_across_epochs_and_the_sequence_is_that_of_one_loader_per_epoch(
    shards: Path, tok: Tokenizer, tmp_path: Path, num_workers: int
) -> None:
    settings = dict(batch_size=4, image_size=8, num_workers=num_workers, seed=7, tokenizer=tok)
    reference = one_epoch_loaders(shards, range(3), **settings)
    log = tmp_path / "pids"
    loader = make_loader(shards, **{**settings, "tokenizer": PidTokenizer(tok, log)})
    assert loader.num_batches % 3 != 0  # epochs start on a different worker each time
    got = [batch for _ in range(3) for batch in loader]
    assert len(got) == len(reference) == 3 * loader.num_batches
    for (images, tokens), (want_images, want_tokens) in zip(got, reference):
        assert torch.equal(tokens, want_tokens) and torch.equal(images, want_images)
    pids = set(log.read_text().split())
    assert len(pids) == max(1, num_workers)
    assert (str(os.getpid()) in pids) == (num_workers == 0)
    loader.close()


def test_resume_mid_epoch_then_run_on_across_epochs(shards: Path, tok: Tokenizer) -> None:
    settings = dict(batch_size=3, image_size=8, num_workers=3, seed=2, tokenizer=tok)
    reference = one_epoch_loaders(shards, range(1, 4), **settings)
    loader = make_loader(shards, **settings)
    per_epoch = loader.num_batches
    loader.load_state_dict({**loader.state_dict(), "epoch": 1, "batches": 4})
    got = [b for _ in range(3) for b in loader]
    assert len(got) == 3 * per_epoch - 4 and loader.state_dict()["epoch"] == 4
    assert all(torch.equal(a[1], b[1]) and torch.equal(a[0], b[0]) for a, b in zip(got, reference[4:], strict=True))


def test_leaving_an_epochs_last_batches_unread_goes_on_with_the_next_epoch(shards: Path, tok: Tokenizer) -> None:
    """What a trainer with accum_freq not dividing the epoch does: stop short, then set_epoch(next)."""
    settings = dict(batch_size=4, image_size=8, num_workers=2, seed=9, tokenizer=tok)
    reference = one_epoch_loaders(shards, range(2), **settings)
    loader = make_loader(shards, **settings)
    first = []
    for batch in loader:
        first.append(batch)
        if len(first) == loader.num_batches - 2:
            break
    loader.set_epoch(1)
    second = list(loader)
    expected = reference[: loader.num_batches - 2] + reference[loader.num_batches :]
    assert all(torch.equal(a[1], b[1]) for a, b in zip(first + second, expected, strict=True))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_samples_beyond_sizes_json_are_counted_not_silently_dropped(tmp_path: Path, tok: Tokenizer, num_workers: int):
    write_shards(tmp_path, [5, 4])
    (tmp_path / "sizes.json").write_text(json.dumps({"00000.tar": 2, "00001.tar": 4}))
    loader = make_loader(tmp_path, batch_size=2, image_size=8, tokenizer=tok, num_workers=num_workers, shuffle=False)
    assert loader.num_samples == 6
    assert sorted(flat(words(tok, loader))) == sorted(
        [sample_from_tokens(tok, tok(caption(0, i))[0]) for i in range(2)]
        + [sample_from_tokens(tok, tok(caption(1, i))[0]) for i in range(4)]
    )
    assert loader.skipped["unlisted_sample"] == 3

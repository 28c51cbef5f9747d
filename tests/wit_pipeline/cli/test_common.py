"""Help text shows a setting's default from its one declaration in the config."""

from __future__ import annotations

import argparse

from wit_pipeline.cli import download_cmd, filter_cmd
from wit_pipeline.cli.common import default_of
from wit_pipeline.config import BuildConfig


def test_default_of_reads_the_declared_default() -> None:
    config = BuildConfig()
    assert default_of("filters.max_chars") == str(config.filters.max_chars)
    assert default_of("download.max_aspect_ratio") == f"{config.download.max_aspect_ratio:g}"
    assert default_of("download.disallowed_header_directives") == ",".join(config.download.disallowed_header_directives)
    assert default_of("runtime.dashboard") == config.runtime.dashboard


def test_stage_help_states_the_config_defaults() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    filter_cmd.register(sub)
    download_cmd.register(sub)
    helps = {a.dest: a.help for p in sub.choices.values() for a in p._actions if a.help}
    config = BuildConfig()
    assert helps["filters.max_chars"] == f"default {config.filters.max_chars}"
    assert helps["shards.phash_distance"] == f"default {config.shards.phash_distance}"
    assert f"({config.download.min_image_size}; 0: off)" in helps["download.min_image_size"]

"""Prompt templates for zero-shot classification: built-in sets by name, or a file of one template per line.

A template is a sentence with ``{}`` where the class name goes. Named sets:

- ``clip``: CLIP's single default prompt, ``a photo of a {}.``
- ``ensemble`` (the default): ``a photo of a {}.`` plus the 7 prompts the CLIP authors found best on
  ImageNet (their prompt-engineering notebook; open_clip's ``SIMPLE_IMAGENET_TEMPLATES``)
- ``imagenet80``: CLIP's 80 ImageNet prompts (the paper's ensemble)
"""

from __future__ import annotations

from pathlib import Path

from wit_pipeline.errors import WitError

PLACEHOLDER = "{}"
CLIP_TEMPLATE = "a photo of a {}."
SMALL_ENSEMBLE = (
    "itap of a {}.",
    "a bad photo of the {}.",
    "a origami {}.",
    "a photo of the large {}.",
    "a {} in a video game.",
    "art of the {}.",
    "a photo of the small {}.",
)
IMAGENET80 = (
    "a bad photo of a {}.",
    "a photo of many {}.",
    "a sculpture of a {}.",
    "a photo of the hard to see {}.",
    "a low resolution photo of the {}.",
    "a rendering of a {}.",
    "graffiti of a {}.",
    "a bad photo of the {}.",
    "a cropped photo of the {}.",
    "a tattoo of a {}.",
    "the embroidered {}.",
    "a photo of a hard to see {}.",
    "a bright photo of a {}.",
    "a photo of a clean {}.",
    "a photo of a dirty {}.",
    "a dark photo of the {}.",
    "a drawing of a {}.",
    "a photo of my {}.",
    "the plastic {}.",
    "a photo of the cool {}.",
    "a close-up photo of a {}.",
    "a black and white photo of the {}.",
    "a painting of the {}.",
    "a painting of a {}.",
    "a pixelated photo of the {}.",
    "a sculpture of the {}.",
    "a bright photo of the {}.",
    "a cropped photo of a {}.",
    "a plastic {}.",
    "a photo of the dirty {}.",
    "a jpeg corrupted photo of a {}.",
    "a blurry photo of the {}.",
    "a photo of the {}.",
    "a good photo of the {}.",
    "a rendering of the {}.",
    "a {} in a video game.",
    "a photo of one {}.",
    "a doodle of a {}.",
    "a close-up photo of the {}.",
    "a photo of a {}.",
    "the origami {}.",
    "the {} in a video game.",
    "a sketch of a {}.",
    "a doodle of the {}.",
    "a origami {}.",
    "a low resolution photo of a {}.",
    "the toy {}.",
    "a rendition of the {}.",
    "a photo of the clean {}.",
    "a photo of a large {}.",
    "a rendition of a {}.",
    "a photo of a nice {}.",
    "a photo of a weird {}.",
    "a blurry photo of a {}.",
    "a cartoon {}.",
    "art of a {}.",
    "a sketch of the {}.",
    "a embroidered {}.",
    "a pixelated photo of a {}.",
    "itap of the {}.",
    "a jpeg corrupted photo of the {}.",
    "a good photo of a {}.",
    "a plushie {}.",
    "a photo of the nice {}.",
    "a photo of the small {}.",
    "a photo of the weird {}.",
    "the cartoon {}.",
    "art of the {}.",
    "a drawing of the {}.",
    "a photo of the large {}.",
    "a black and white photo of a {}.",
    "the plushie {}.",
    "a dark photo of a {}.",
    "itap of a {}.",
    "graffiti of the {}.",
    "a toy {}.",
    "itap of my {}.",
    "a photo of a cool {}.",
    "a photo of a small {}.",
    "a tattoo of the {}.",
)
TEMPLATE_SETS: dict[str, tuple[str, ...]] = {
    "clip": (CLIP_TEMPLATE,),
    "ensemble": (CLIP_TEMPLATE, *SMALL_ENSEMBLE),
    "imagenet80": IMAGENET80,
}
DEFAULT_TEMPLATES = "ensemble"


def resolve_templates(spec: str | None) -> list[str]:
    """The templates named by ``spec``: a set name (``clip``, ``ensemble``, ``imagenet80``), a file, or None.

    None gives the default ``ensemble``. Anything that is not a set name is read as a file.
    """
    if spec is None:
        spec = DEFAULT_TEMPLATES
    if spec in TEMPLATE_SETS:
        return list(TEMPLATE_SETS[spec])
    path = Path(spec).expanduser()
    if not path.is_file():
        raise WitError(f"--templates {spec}: neither a template set ({', '.join(TEMPLATE_SETS)}) nor a file")
    return read_templates(path)


def read_templates(path: Path) -> list[str]:
    """Templates from a UTF-8 file, one per line; blank lines and lines starting with ``#`` are skipped.

    Each template must hold ``{}`` exactly once, so every class name appears in every prompt.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise WitError(f"{path}: cannot read templates ({exc})") from None
    templates = []
    for number, line in enumerate(lines, start=1):
        template = line.strip()
        if not template or template.startswith("#"):
            continue
        if template.count(PLACEHOLDER) != 1:
            raise WitError(f"{path}:{number}: a template needs {PLACEHOLDER} exactly once, got {template!r}")
        templates.append(template)
    if not templates:
        raise WitError(f"{path}: no templates (expected one per line, with {PLACEHOLDER} for the class name)")
    return templates


def fill(template: str, classname: str) -> str:
    """``template`` with its ``{}`` replaced by ``classname`` (other braces are left as they are)."""
    return template.replace(PLACEHOLDER, classname, 1)

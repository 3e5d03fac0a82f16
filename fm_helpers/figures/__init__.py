"""The book's figures: one module per chapter, each built on ``fm_helpers.figures.base.LiveFigure``.

``CHAPTER_FIGURES`` names each chapter's live figure (module:class) so that tools
such as ``benchmarks/bench_figures.py`` can find them without importing every chapter.
"""

import importlib

CHAPTER_FIGURES = {
    "01_probability_paths": "probability_paths:ProbabilityPathFigure",
    "02_conditional_vector_field": "conditional_field:ConditionalFieldFigure",
    "03_condot": "condot:CondOTFigure",
    "04_marginal_vector_field": "marginal_field:MarginalFieldFigure",
    "05_continuity_equation": "continuity:ContinuityFigure",
    "06_sampling": "sampling:SamplingFigure",
    "07_schedule_playground": "playground:PlaygroundFigure",
    "08_learning_the_field": "learning:LearnedFieldFigure",
    "09_diffusion_bridge": "diffusion:DiffusionFigure",
}


def chapter_figure(chapter: str):
    """The LiveFigure class of a chapter, e.g. ``chapter_figure("01_probability_paths")``."""
    if chapter not in CHAPTER_FIGURES:
        raise ValueError(f"unknown chapter {chapter!r}; known: {', '.join(CHAPTER_FIGURES)}")
    module, cls = CHAPTER_FIGURES[chapter].split(":")
    return getattr(importlib.import_module(f"{__name__}.{module}"), cls)

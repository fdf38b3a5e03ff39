"""A screen's or the app's key bindings with their footer words and tooltips in the learner's language."""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from celery_tutor.i18n import N_, _

# Textual's own binding of the command palette (App adds it), here so that extraction finds its words.
TEXTUAL_WORDS = (N_("palette"), N_("Open the command palette"))


def translate_bindings(node: DOMNode) -> None:
    """The node's bindings, as its class declares them (English), put in the current language; again after a switch."""
    english = node.__dict__.setdefault("_english_bindings", node._bindings.copy())
    translated = english.copy()
    translated.key_to_bindings = {
        key: [dataclasses.replace(binding, description=_(binding.description),
                                  tooltip=_(binding.tooltip) if binding.tooltip else binding.tooltip)
              for binding in bindings]
        for key, bindings in english.key_to_bindings.items()}
    node._bindings = translated

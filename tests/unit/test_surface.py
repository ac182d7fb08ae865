"""The package's public surface is complete and importable."""

from __future__ import annotations

import inspect

import verifier
from verifier import errors


def test_all_is_sorted_and_importable() -> None:
    assert verifier.__all__ == sorted(verifier.__all__)
    for name in verifier.__all__:
        assert hasattr(verifier, name), name


def test_every_error_is_exported() -> None:
    for name, value in vars(errors).items():
        if inspect.isclass(value) and issubclass(value, errors.VerifierError):
            assert name in verifier.__all__, name


def test_every_public_function_documents_itself() -> None:
    for name in verifier.__all__:
        value = getattr(verifier, name)
        if inspect.isfunction(value) or inspect.isclass(value):
            assert inspect.getdoc(value), name

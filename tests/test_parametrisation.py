"""Oracle and identity tests of `spectral.parametrisation`."""

import numpy as np
import pytest

from spectral import fourier
from spectral import parametrisation
from tests import oracles
from tests.oracles import assert_close


@pytest.mark.parametrize(
    "kernel_size", [(1, 1), (2, 2), (3, 3), (4, 3), (5, 5)], ids=str
)
def test_spectral_kernel_basis_is_orthonormal_hermitian_dft(rng, kernel_size):
    kh, kw = kernel_size
    basis = parametrisation.spectral_kernel_basis(kernel_size)
    assert basis.shape == (kh * kw, kh * kw)
    np.testing.assert_allclose(basis.T @ basis, np.eye(kh * kw), atol=1e-12)
    theta = rng.normal(size=(kh * kw, 2, 3))
    expected = oracles.hermitian_kernel_from_parameters(theta, kernel_size)
    kernel = parametrisation.spectral_to_kernel(theta.astype("float32"), kernel_size)
    assert_close(kernel, expected)
    assert_close(parametrisation.kernel_to_spectral(expected.astype("float32")), theta)


def test_spectral_parameters_do_not_mix_channels(rng):
    theta = np.zeros((9, 3, 4), "float32")
    theta[:, 1, 2] = rng.normal(size=9)
    kernel = np.asarray(parametrisation.spectral_to_kernel(theta, (3, 3)))
    mask = np.zeros((3, 4), bool)
    mask[1, 2] = True
    assert np.all(kernel[:, :, ~mask] == 0)
    assert np.any(kernel[:, :, 1, 2] != 0)


@pytest.mark.parametrize(
    "name", ["spectral_kernel_basis", "spectral_to_kernel", "kernel_to_spectral"]
)
def test_fourier_re_exports_the_parametrisation(name):
    assert getattr(fourier, name) is getattr(parametrisation, name)


@pytest.mark.parametrize("kernel_size", [(3, 3), (4, 5)], ids=str)
def test_sgd_steps_agree_in_both_parametrisations(rng, kernel_size):
    """The map is orthogonal, so a gradient step on the spectral parameters
    moves the kernel exactly as the same step on the kernel would."""
    kh, kw = kernel_size
    basis = parametrisation.spectral_kernel_basis(kernel_size)
    grad_kernel = rng.normal(size=(kh * kw,))
    grad_theta = basis.T @ grad_kernel  # chain rule through kernel = B theta
    np.testing.assert_allclose(basis @ grad_theta, grad_kernel, atol=1e-12)
    np.testing.assert_allclose(
        np.linalg.norm(grad_theta), np.linalg.norm(grad_kernel), rtol=1e-12
    )


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: parametrisation.spectral_kernel_basis((0, 3)), "kernel_size"),
        (
            lambda: parametrisation.spectral_to_kernel(np.zeros((8, 2, 2)), 3),
            r"Expected shape \(9, in, out\)",
        ),
        (
            lambda: parametrisation.kernel_to_spectral(np.zeros((3, 3, 2))),
            "Expected a 4-D kernel",
        ),
    ],
    ids=["basis-size", "parameters-shape", "kernel-rank"],
)
def test_errors_name_what_was_received(call, match):
    with pytest.raises(ValueError, match=match):
        call()

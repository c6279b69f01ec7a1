"""Keras 3 layers built on `spectral.fourier`."""

from spectral.layers.adaptive_pooling import AdaptivePooling2D
from spectral.layers.fft_conv import FFTConv2D
from spectral.layers.frequency_dropout import FrequencyDropout
from spectral.layers.spectral_conv import SpectralConv2D
from spectral.layers.spectral_conv import SpectralKernelInitializer
from spectral.layers.spectral_pooling import SpectralPooling2D

__all__ = [
    "AdaptivePooling2D",
    "FFTConv2D",
    "FrequencyDropout",
    "SpectralConv2D",
    "SpectralKernelInitializer",
    "SpectralPooling2D",
]

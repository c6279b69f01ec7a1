"""Tests of `spectral.models`: architectures, counts and equivalences."""

import keras
import numpy as np
import pytest

from spectral import layers
from spectral import models
from tests.oracles import assert_close


def _layers_of(model, cls):
    return [layer for layer in model.layers if isinstance(layer, cls)]


def test_spectral_pooling_network_shapes_and_filter_cap():
    model = models.build_model("spectral_pooling", num_blocks=8, gamma=0.85)
    pools = _layers_of(model, layers.SpectralPooling2D)
    # M pairs, not M - 1.
    assert len(pools) == 8
    assert [p.output.shape[1] for p in pools] == [27, 22, 18, 15, 12, 10, 8, 6]
    convs = _layers_of(model, keras.layers.Conv2D)
    assert [c.filters for c in convs] == [
        128,
        160,
        192,
        224,
        256,
        288,
        288,
        288,
        288,
        10,
    ]
    assert [c.kernel_size for c in convs[:-2]] == [(3, 3)] * 8
    assert convs[-2].kernel_size == convs[-1].kernel_size == (1, 1)
    assert model.output_shape == (None, 10)


def test_every_conv_and_pool_is_followed_by_relu_but_not_the_classifier():
    model = models.build_model("spectral_pooling", num_blocks=3)
    convs = _layers_of(model, keras.layers.Conv2D)
    assert all(c.activation is keras.activations.relu for c in convs[:-1])
    classifier = convs[-1]
    assert classifier.activation is keras.activations.linear
    relus = [layer.name for layer in _layers_of(model, keras.layers.ReLU)]
    assert relus == [f"block{m}_pool_relu" for m in (1, 2, 3)]
    names = [layer.name for layer in model.layers]
    assert names[-3:] == ["classifier_conv", "global_average", "softmax"]


def test_frequency_dropout_schedule_follows_c_m():
    model = models.build_model(
        "spectral_pooling", num_blocks=4, alpha=0.3, beta=0.1
    )
    rates = [d.rate for d in _layers_of(model, layers.FrequencyDropout)]
    expected = [1 - (0.3 + m / 4 * (0.1 - 0.3)) for m in (1, 2, 3, 4)]
    np.testing.assert_allclose(rates, expected)


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        # conv k*k*in*out + out per layer; dense in*out + out.
        (
            {"network": "spectral_pooling", "num_blocks": 2, "num_classes": 10},
            (3 * 3 * 3 * 128 + 128)
            + (3 * 3 * 128 * 160 + 160)
            + (160 * 160 + 160)
            + (160 * 10 + 10),
        ),
        (
            {"network": "generic", "filter_size": 5, "num_classes": 10},
            (5 * 5 * 3 * 96 + 96)
            + (5 * 5 * 96 * 192 + 192)
            + (8 * 8 * 192 * 1024 + 1024)
            + (1024 * 512 + 512)
            + (512 * 10 + 10),
        ),
        (
            {"network": "deep", "num_classes": 100},
            2 * 96
            + 3 * 3 * (3 * 96 + 96 * 96)
            + 3 * 192
            + 3 * 3 * (96 * 192 + 2 * 192 * 192)
            + (192 * 192 + 192)
            + (192 * 100 + 100),
        ),
    ],
    ids=["spectral-pooling", "generic-5x5", "deep-100"],
)
@pytest.mark.parametrize("conv", ["spatial", "spectral"])
def test_parameter_counts(kwargs, expected, conv):
    """Spectral parametrisation adds no parameters."""
    model = models.build_model(conv=conv, **kwargs)
    assert model.count_params() == expected


@pytest.mark.parametrize("network", ["spectral_pooling", "generic", "deep"])
@pytest.mark.parametrize("filter_size", [3, 5])
@pytest.mark.slow
def test_spatial_and_spectral_start_as_the_same_function(network, filter_size):
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    outputs = []
    for conv in ("spatial", "spectral"):
        keras.utils.set_random_seed(42)
        model = models.build_model(
            network, conv=conv, filter_size=filter_size, num_blocks=3, seed=1
        )
        outputs.append(model.predict(x, verbose=0))
    assert_close(outputs[0], outputs[1], size=1000)
    assert not np.allclose(outputs[0], outputs[0][::-1])  # not degenerate


@pytest.mark.parametrize("network", ["generic", "deep"])
def test_spectral_pooling_variant_of_the_section_5_2_networks(network):
    spatial = models.build_model(network, pooling="max")
    spectral = models.build_model(network, pooling="spectral")
    max_pools = _layers_of(spatial, keras.layers.MaxPooling2D)
    spectral_pools = _layers_of(spectral, layers.SpectralPooling2D)
    assert len(max_pools) == len(spectral_pools) == 2
    assert [p.output.shape for p in max_pools] == [
        p.output.shape for p in spectral_pools
    ]


def test_spectral_conv_layers_are_used_when_asked():
    model = models.build_model("deep", conv="spectral", filter_size=5)
    assert len(_layers_of(model, layers.SpectralConv2D)) == 7
    assert not _layers_of(model, keras.layers.Conv2D)


def test_helpers():
    assert models.pooled_sizes(32, 0.85, 3) == [32, 27, 22, 18]
    assert models.pooled_sizes(20, 0.85, 1) == [20, 17]
    assert models.pooled_sizes(2, 0.25, 2) == [2, 1, 1]
    np.testing.assert_allclose(
        models.frequency_dropout_rates(0.3, 0.15, 2), [0.775, 0.85]
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"network": "resnet"}, "Received: network='resnet'"),
        ({"conv": "fourier"}, "Received: conv='fourier'"),
        ({"network": "generic", "pooling": "avg"}, "Received: pooling='avg'"),
        ({"pooling": "median"}, "Received: pooling='median'"),
        ({"width": 0}, "Received: width=0"),
        ({"frequency_dropout": "no"}, "Received: frequency_dropout='no'"),
        ({"num_blocks": 0}, "Received: num_blocks=0"),
        ({"gamma": 1.5}, "Received: gamma=1.5"),
        ({"filter_size": 0}, "Received: filter_size=0"),
        ({"num_classes": 1}, "Received: num_classes=1"),
    ],
    ids=[
        "network",
        "conv",
        "pooling",
        "sp-pooling",
        "width",
        "frequency-dropout",
        "blocks",
        "gamma",
        "filter",
        "classes",
    ],
)
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.build_model(**kwargs)


@pytest.mark.parametrize("network", ["spectral_pooling", "generic", "deep"])
@pytest.mark.slow
def test_width_scales_every_layer(network):
    full = models.build_model(network, num_blocks=3)
    quarter = models.build_model(network, num_blocks=3, width=0.25)
    for a, b in zip(full.layers, quarter.layers):
        units = getattr(a, "filters", None) or getattr(a, "units", None)
        if units is None:
            continue
        expected = (
            units
            if a.name.startswith("classifier")
            else max(models.MIN_FILTERS, round(units / 4))
        )
        assert (getattr(b, "filters", None) or b.units) == expected, a.name


@pytest.mark.parametrize("pooling", ["max", "average"])
def test_pooling_arms_share_sizes_and_initial_weights(pooling):
    keras.utils.set_random_seed(7)
    spectral = models.build_model(
        "spectral_pooling", num_blocks=3, width=0.25, seed=7
    )
    keras.utils.set_random_seed(7)
    other = models.build_model(
        "spectral_pooling",
        num_blocks=3,
        width=0.25,
        seed=7,
        pooling=pooling,
        frequency_dropout=False,
    )
    shapes = [
        tuple(layer.output.shape)
        for layer in spectral.layers
        if layer.name.endswith("_pool")
    ]
    assert shapes == [
        tuple(layer.output.shape)
        for layer in other.layers
        if layer.name.endswith("_pool")
    ]
    assert not any("frequency_dropout" in layer.name for layer in other.layers)
    for a, b in zip(spectral.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("pooling", ["max", "spectral"])
@pytest.mark.slow
def test_modern_network_halves_the_map(pooling):
    model = models.build_model("modern", pooling=pooling, width=0.25)
    sizes = [
        layer.output.shape[1]
        for layer in model.layers
        if layer.name.endswith("_pool")
    ]
    assert sizes == [16, 8, 4]
    assert model.output_shape == (None, 10)


def test_numpy_scalars_are_accepted_where_python_numbers_are():
    model = models.build_model(
        "spectral_pooling",
        num_blocks=np.int64(2),
        gamma=np.float32(0.75),
        alpha=np.float64(0.3),
        beta=np.float32(0.15),
        width=np.float32(0.25),
        filter_size=np.int32(3),
    )
    reference = models.build_model(
        "spectral_pooling",
        num_blocks=2,
        gamma=0.75,
        alpha=0.3,
        beta=0.15,
        width=0.25,
    )
    assert model.count_params() == reference.count_params()
    layer = layers.FrequencyDropout(np.float32(0.5))
    assert layer.get_config()["rate"] == 0.5
    assert type(layers.SpectralConv2D(np.int64(4), 3).filters) is int


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"alpha": 2.0}, "Received: alpha=2.0"),
        ({"beta": -0.1}, "Received: beta=-0.1"),
        ({"gamma": "0.85"}, "Received: gamma='0.85'"),
        ({"width": True}, "Received: width=True"),
    ],
)
def test_out_of_range_arguments_are_refused_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        models.build_model("spectral_pooling", num_blocks=2, **kwargs)


@pytest.mark.parametrize("network", ["spectral_pooling", "generic", "deep", "modern"])
@pytest.mark.slow
def test_pooling_norm_reaches_every_spectral_pooling_layer(network):
    model = models.build_model(network, pooling="spectral", width=0.1, num_blocks=2,
                        pooling_norm="ortho")
    pools = [l for l in model.layers if isinstance(l, layers.SpectralPooling2D)]
    assert pools and all(p.norm == "ortho" for p in pools)


def test_ortho_pooling_scales_by_the_unitary_factor(rng):
    # norm="ortho" is the mean-preserving pooling times sqrt(hw / HW) per map.
    x = rng.standard_normal((1, 10, 10, 2)).astype("float32")
    mean = keras.ops.convert_to_numpy(layers.SpectralPooling2D(7)(x))
    ortho = keras.ops.convert_to_numpy(layers.SpectralPooling2D(7, norm="ortho")(x))
    np.testing.assert_allclose(ortho, mean * 10 / 7, rtol=1e-5, atol=1e-6)


def test_dropout_range_input_draws_over_the_map_before_pooling():
    model = models.build_model(num_blocks=2, gamma=0.7, width=0.1, dropout_range="input")
    drops = [l for l in model.layers if isinstance(l, layers.FrequencyDropout)]
    assert [d.reference_size for d in drops] == [(32, 32), (22, 22)]
    pooled = models.build_model(num_blocks=2, gamma=0.7, width=0.1)
    assert all(
        l.reference_size is None
        for l in pooled.layers
        if isinstance(l, layers.FrequencyDropout)
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [({"pooling_norm": "unitary"}, "pooling_norm"),
     ({"dropout_range": "before"}, "dropout_range")],
)
def test_knob_errors(kwargs, match):
    with pytest.raises(ValueError, match=f"Received: {match}="):
        models.build_model(**kwargs)


def test_config_mirrors_the_model_choices():
    from spectral import config

    assert config.POOLING_NORMS == models.POOLING_NORMS
    assert config.DROPOUT_RANGES == models.DROPOUT_RANGES

"""A training loop that keeps the training set on the device (JAX backend).

`model.fit` feeds one host batch per step and returns to Python between
steps. On an accelerator that overhead can dominate a small network's step,
so runs with `TrainConfig(loop="device")` use this loop instead:

* the training set goes to the device once, as uint8 (`DeviceData`);
* each step is one compiled call (`jax.jit`, the state buffers donated)
  that gathers its batch on the device from the epoch's order, scales it to
  `[0, 1]` and applies `model.stateless_call` and
  `optimizer.stateless_apply`; steps are dispatched asynchronously, so
  Python runs ahead of the device instead of waiting for each step;
* the loss and the correct predictions are summed on the device and read
  once per epoch, so there is no host round trip inside an epoch.

A whole epoch as one `jax.lax.scan` over the steps was tried first: on
JAX's CPU backend it trained 8-11x slower than these separate steps
(measured on the 2-core CPU, Generic and §5.1 networks at quarter width),
so the loop keeps one compiled call per step.

The batches and their order are those of `spectral.data.ArrayBatches` (the
permutation `spectral.data.epoch_order(size, seed, epoch)`), the loss is
the mean sparse categorical cross-entropy of a batch, and the model's own
layers do the augmentation and frequency dropout with their seed
generators, so an epoch computes what `model.fit` computes (the tests
compare both, step by step, on JAX's CPU backend). With the
`mixed_bfloat16` precision of `TrainConfig` the convolutions run in
bfloat16 while every Fourier transform stays in float32 (the layers cast).

Only the JAX backend has this loop; `DeviceEpochs` raises on others.
"""

import keras
import numpy as np


def _require_jax():
    if keras.backend.backend() != "jax":
        raise NotImplementedError(
            "The device loop (TrainConfig.loop='device') runs on the JAX "
            f"backend only; this process uses {keras.backend.backend()!r}. "
            "Set KERAS_BACKEND=jax, or use loop='fit'."
        )


class DeviceData:
    """Training images and labels placed on the default device once.

    Args:
        images: uint8 array `(n, h, w, c)`.
        labels: int array `(n,)`.
    """

    def __init__(self, images, labels):
        _require_jax()
        import jax

        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise TypeError(
                "DeviceData expects uint8 images (the loop scales them on the "
                f"device); received dtype {images.dtype}."
            )
        self.size = len(images)
        self.images = jax.device_put(images)
        self.labels = jax.device_put(np.asarray(labels, "int32"))


class DeviceEpochs:
    """Runs whole training epochs of a compiled Keras model on the device.

    Args:
        model: a built model compiled with an optimiser (its loss is taken
            to be sparse categorical cross-entropy on probabilities, as in
            `spectral.experiments.build_training_model`).
        batch_size: int.

    `run(data, order)` trains one epoch in that order and returns
    `{"loss": mean batch loss weighted by batch size, "accuracy": ...}`;
    the model's variables and its optimiser's hold the new values after it.
    """

    def __init__(self, model, batch_size):
        _require_jax()
        import jax

        self.model = model
        self.batch_size = int(batch_size)
        self.optimizer = model.optimizer
        if not self.optimizer.built:
            self.optimizer.build(model.trainable_variables)
        self._step = jax.jit(self._one_step, donate_argnums=(0,))

    # -- pure functions of (state, data) -----------------------------------

    def _loss(self, trainable, non_trainable, x, y):
        import jax.numpy as jnp

        probabilities, non_trainable = self.model.stateless_call(
            trainable, non_trainable, x, training=True
        )
        probabilities = probabilities.astype("float32")
        losses = keras.losses.sparse_categorical_crossentropy(y, probabilities)
        loss = jnp.mean(losses)
        correct = jnp.sum(jnp.argmax(probabilities, axis=-1) == y)
        return loss, (non_trainable, correct)

    def _one_step(self, state, images, labels, rows):
        import jax

        trainable, non_trainable, optimizer_variables = state
        x = images[rows].astype("float32") / 255.0
        y = labels[rows]
        grad_fn = jax.value_and_grad(self._loss, has_aux=True)
        (loss, (non_trainable, correct)), grads = grad_fn(
            trainable, non_trainable, x, y
        )
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable
        )
        count = rows.shape[0]
        return (trainable, non_trainable, optimizer_variables), (
            loss * count,
            correct,
        )

    # -- the host side --------------------------------------------------------

    def _state(self):
        return (
            [v.value for v in self.model.trainable_variables],
            [v.value for v in self.model.non_trainable_variables],
            [v.value for v in self.optimizer.variables],
        )

    def _assign(self, state):
        trainable, non_trainable, optimizer_variables = state
        for variable, value in zip(self.model.trainable_variables, trainable):
            variable.assign(value)
        for variable, value in zip(
            self.model.non_trainable_variables, non_trainable
        ):
            variable.assign(value)
        for variable, value in zip(
            self.optimizer.variables, optimizer_variables
        ):
            variable.assign(value)

    def run(self, data, order):
        """Trains one epoch over `data` (a `DeviceData`) in `order`."""
        import jax

        order = np.asarray(order, "int32")
        if len(order) != data.size:
            raise ValueError(
                f"order has {len(order)} entries for a training set of "
                f"{data.size} images"
            )
        order_on_device = jax.device_put(order)
        state = self._state()
        loss_sum, correct = 0.0, 0
        for start in range(0, len(order), self.batch_size):
            rows = order_on_device[start : start + self.batch_size]
            state, (loss, right) = self._step(
                state, data.images, data.labels, rows
            )
            loss_sum, correct = loss_sum + loss, correct + right
        self._assign(state)
        return {
            "loss": float(loss_sum) / len(order),
            "accuracy": float(correct) / len(order),
        }


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.device_loop"))

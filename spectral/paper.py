"""The paper's facts, once: Rippel, Snoek & Adams (NIPS 2015, arXiv:1506.03767).

Everything the code, the record and the book say the paper reports or
prescribes is defined here and imported elsewhere: the §5.1 classification
protocol, the learning-rate drops, the reported errors and speed-ups, the
Fig. 4a read-offs, and the numbers of earlier reproductions. No Keras
import, so configuration code can use it.
"""

# §5.1: the spectral-pooling network's best hyper-parameters and protocol.
SECTION_5_1 = {
    "gamma": 0.85,
    "alpha": 0.30,
    "beta": 0.15,
    "momentum": 0.95,
    "learning_rate": 0.0088,
    "epochs": 150,
    "lr_drops": (100, 140),
    "augment": False,
}
# Our choices where the paper is silent, used with the protocol above.
SECTION_5_1_OPEN = {"weight_decay": 5e-4, "batch_size": 128, "num_blocks": 8}

# The learning-rate drops as fractions of training (100/150 and 140/150).
LR_DROP_FRACTIONS = tuple(e / SECTION_5_1["epochs"] for e in SECTION_5_1["lr_drops"])


def paper_lr_drops(epochs):
    """The paper's learning-rate drops (epochs 100 and 140 of 150), scaled.

    Drops that would fall after the last epoch are left out.

    Example:

    >>> paper_lr_drops(150), paper_lr_drops(6), paper_lr_drops(1)
    ((100, 140), (4,), ())
    """
    drops = {round(epochs * f) for f in LR_DROP_FRACTIONS}
    return tuple(sorted(d for d in drops if 0 < d < epochs))


# Reported results.
CIFAR10_ERROR = 0.086
CIFAR100_ERROR = 0.316
# §5.2, Fig. 5: epochs to the spatial run's final error, spatial / spectral.
SPEEDUP = {
    ("generic", 3): 2.2,
    ("generic", 5): 5.1,
    ("deep", 3): 2.2,
    ("deep", 5): 4.8,
    ("spectral_pooling", 3): 2.4,
    ("spectral_pooling", 5): 4.8,
}
# Fig. 4a, relative approximation loss read off at fractions of the
# parameters kept (ImageNet images): (fraction, loss) per method.
FIG4A_READ_OFFS = {
    "spectral": ((0.25, 0.07), (0.5, 0.047), (0.8, 0.025)),
    "max": ((0.25, 0.125),),
}
FIG4A_QUARTER = {m: dict(points)[0.25] for m, points in FIG4A_READ_OFFS.items()}

# Earlier reproductions (as they reported them).
EARLIER = {
    "columbia2017": {"cifar10": 0.1876, "cifar100": 0.5183},
    "kalmath2021": {"cifar10": 0.228, "cifar100": None},
}
# The paper's Table 1 (test error): the methods it compares with, then its
# own network; CIFAR-10 and CIFAR-100.
TABLE_1 = (
    ("stochastic pooling", 0.1513, 0.4151),
    ("maxout", 0.1168, 0.3857),
    ("network in network", 0.1041, 0.3568),
    ("deeply supervised", 0.0978, 0.3457),
    ("spectral pooling", CIFAR10_ERROR, CIFAR100_ERROR),
)


if __name__ == "__main__":
    import sys

    from spectral.jsonio import no_command_line

    sys.exit(no_command_line("spectral.paper"))

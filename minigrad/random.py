"""minigrad's own seeded random generator, so that runs repeat (``manual_seed``)."""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 67280421310721  # PyTorch's default seed: runs repeat even without manual_seed


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0]) % 2**63


class Generator:
    """A source of random numbers, like ``torch.Generator``.

    Wraps a NumPy ``Generator`` (PCG64), created on first use so that importing minigrad
    does not import ``numpy.random``. ``manual_seed`` makes its stream repeatable.
    """

    def __init__(self, device: str = "cpu") -> None:
        self._seed = DEFAULT_SEED
        self._rng: np.random.Generator | None = None

    @property
    def rng(self) -> np.random.Generator:
        """The NumPy generator behind this one."""
        if self._rng is None:
            self._rng = np.random.default_rng(self._seed)
        return self._rng

    def manual_seed(self, seed: int) -> Generator:
        """Reseed the generator and return it."""
        seed = int(seed)
        if seed < 0:
            seed += 2**64  # PyTorch accepts negative seeds and wraps them
        self._seed = seed
        self._rng = None
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from fresh entropy and return the new seed."""
        self.manual_seed(_fresh_seed())
        return self._seed

    def get_state(self) -> dict:
        return dict(self.rng.bit_generator.state)

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed minigrad's default generator (used by ``rand``, ``randn``, ``nn.init``, ...)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng(generator: Generator | None = None) -> np.random.Generator:
    """The NumPy generator behind ``generator``, or behind the default generator."""
    return (default_generator if generator is None else generator).rng

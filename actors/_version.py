"""The package version, in one place: ``setup.cfg`` reads it from here
(``version = attr: actors._version.__version__``), so ``import actors`` need
not load ``importlib.metadata`` (about 18 ms) to know it."""

__version__ = "0.1.0.dev0"

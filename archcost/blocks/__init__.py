"""Torch building blocks of the zoo, one module per family. Imported only when a model is built."""

"""The Python faces of the compiled kernels: conversion, mixing, FIR and IIR filters, the FM
discriminator, filter design, noise, I/Q statistics. Each operation is a scipy-style function
(``zi`` in, ``zf`` out) and a stateful object (``process``, ``reset``, ``copy``)."""

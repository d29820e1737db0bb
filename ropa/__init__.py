"""RoPA Graph Explorer: a GDPR Record of Processing Activities as a graph, with a
rule pack that flags international transfers without a valid basis.

The library is pure: it neither prints nor exits. ``ropa.cli`` and
``ropa.ui`` are thin layers over it.
"""
__version__ = "0.1.0"

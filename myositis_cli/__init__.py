"""myositis: treatment-pathway decision support for refractory myositis."""

__version__ = "1.0.0"

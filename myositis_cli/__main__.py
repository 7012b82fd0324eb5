"""``python -m myositis_cli``."""

from .cli import main

main()

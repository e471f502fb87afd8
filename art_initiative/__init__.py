"""art_initiative: initiative defence against facial manipulation as an ART plugin."""

import logging

__version__ = "0.1.0.dev0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

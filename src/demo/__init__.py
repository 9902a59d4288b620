"""The demo data of `make run` (composition: it may use every domain): the people and
organisations (people.py), and what they have signed, subscribed to and granted (state.py)."""

from src.demo.people import *  # noqa: F403
from src.demo.state import seed as seed

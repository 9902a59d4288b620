"""The demo data of `make run` (composition: it may use every domain): the people and
organisations (people.py), the local OpenID provider's users (provider.py), and what they have
signed, subscribed to and granted (state.py)."""

from src.demo.people import *  # noqa: F403
from src.demo.provider import *  # noqa: F403
from src.demo.state import seed as seed

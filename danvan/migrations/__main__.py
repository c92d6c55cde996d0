"""`python -m danvan.migrations "what changed"` drafts the next migration from the models."""

import sys

from danvan.migrations import draft_revision

if len(sys.argv) != 2:
    sys.exit('usage: python -m danvan.migrations "what changed"')
draft_revision(sys.argv[1])

import os
import sys

# Tests run against the binding in the repository (and the library it finds), not an installed copy.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))

import sys
from pathlib import Path

# the cases module sits beside the tests, for the bench to import as well
sys.path.insert(0, str(Path(__file__).parent))
